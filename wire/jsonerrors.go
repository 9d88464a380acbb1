package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// DescribeTypeError says which field of a JSON body needs which JSON value,
// from the *json.UnmarshalTypeError inside err, in the protocol's terms
// rather than Go's: `field "subscribe.channel" must be a string; got a JSON
// number`. ok is false for any other error, and for a mismatch of the whole
// body (no field).
func DescribeTypeError(err error) (msg string, ok bool) { return DescribeTypeErrorIn(err, nil) }

// DescribeTypeErrorIn is DescribeTypeError for a body decoded into target
// (a pointer to the decoded value, or nil). With the target it can tell a
// wrong element of a list, or value of an object, from a wrong field:
// `every element of field "channels" must be a string; got a JSON
// number`, where encoding/json names only the field.
func DescribeTypeErrorIn(err error, target any) (msg string, ok bool) {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || typeErr.Field == "" {
		return "", false
	}
	what := fmt.Sprintf("field %q", typeErr.Field)
	switch containerOf(reflect.TypeOf(target), typeErr.Field, typeErr.Type) {
	case reflect.Slice, reflect.Array:
		what = "every element of " + what
	case reflect.Map:
		what = "every value of " + what
	}
	if num, isNum := strings.CutPrefix(typeErr.Value, "number "); isNum && isIntegerLiteral(num) {
		if lo, hi, ok := integerRange(typeErr.Type); ok {
			return fmt.Sprintf("%s must be an integer from %s to %s; got %s, out of range", what, lo, hi, num), true
		}
	}
	return fmt.Sprintf("%s must be %s; got a JSON %s", what, JSONKind(typeErr.Type), typeErr.Value), true
}

// containerOf follows a dotted JSON field path through the struct types
// from root and reports the kind of the field's type when it is a list or
// an object of elem (the type encoding/json could not fill), else Invalid.
func containerOf(root reflect.Type, path string, elem reflect.Type) reflect.Kind {
	t := root
	for name := range strings.SplitSeq(path, ".") {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			return reflect.Invalid
		}
		t = jsonField(t, name)
	}
	if t == nil || elem == nil {
		return reflect.Invalid
	}
	switch k := t.Kind(); k {
	case reflect.Slice, reflect.Array, reflect.Map:
		if t.Elem() == elem {
			return k
		}
	}
	return reflect.Invalid
}

// jsonField is the type of the field of struct t that encoding/json fills
// from the JSON key name, or nil.
func jsonField(t reflect.Type, name string) reflect.Type {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if key == "-" {
			continue
		}
		if key == "" {
			key = f.Name
		}
		if strings.EqualFold(key, name) {
			return f.Type
		}
	}
	return nil
}

// isIntegerLiteral reports whether a JSON number is written as a whole
// number: an optional minus and digits, no fraction or exponent.
func isIntegerLiteral(num string) bool {
	num = strings.TrimPrefix(num, "-")
	if num == "" {
		return false
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return false
		}
	}
	return true
}

// integerRange gives the smallest and largest value of an integer type.
func integerRange(t reflect.Type) (lo, hi string, ok bool) {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "0", strconv.FormatUint(math.MaxUint64>>(64-t.Bits()), 10), true
	}
	return "", "", false
}

// JSONKind names the JSON value a Go type decodes from ("a string", "an
// integer", "an object", …).
func JSONKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Name() == "RawMessage" {
			return "a JSON value"
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON type"
}
