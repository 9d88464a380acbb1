package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	return fmt.Sprintf("field %q must be %s; got a JSON %s", typeErr.Field, JSONKind(typeErr.Type), typeErr.Value), true
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
