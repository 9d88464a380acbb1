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
func DescribeTypeError(err error) (msg string, ok bool) {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || typeErr.Field == "" {
		return "", false
	}
	if num, isNum := strings.CutPrefix(typeErr.Value, "number "); isNum && isIntegerLiteral(num) {
		if lo, hi, ok := integerRange(typeErr.Type); ok {
			return fmt.Sprintf("field %q must be an integer from %s to %s; got %s, out of range", typeErr.Field, lo, hi, num), true
		}
	}
	return fmt.Sprintf("field %q must be %s; got a JSON %s", typeErr.Field, JSONKind(typeErr.Type), typeErr.Value), true
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
