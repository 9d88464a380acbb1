package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDescribeTypeErrorSaysWhatIsWrong(t *testing.T) {
	type body struct {
		Limit  int32  `json:"limit"`
		Offset uint64 `json:"offset"`
		Name   string `json:"name"`
	}
	for doc, want := range map[string]string{
		`{"limit":99999999999}`: `field "limit" must be an integer from -2147483648 to 2147483647; got 99999999999, out of range`,
		`{"limit":1.5}`:         `field "limit" must be an integer; got a JSON number 1.5`,
		`{"offset":-1}`:         `field "offset" must be an integer from 0 to 18446744073709551615; got -1, out of range`,
		`{"name":5}`:            `field "name" must be a string; got a JSON number`,
	} {
		msg, ok := DescribeTypeError(json.Unmarshal([]byte(doc), new(body)))
		if !ok || msg != want {
			t.Errorf("%s: %q, %v; want %q", doc, msg, ok, want)
		}
	}
	if _, ok := DescribeTypeError(json.Unmarshal([]byte(`{"name":`), new(body))); ok {
		t.Error("a syntax error was described as a type error")
	}
}

// With the decoded value's type, a wrong element of a list or value of an
// object is told apart from a wrong field, also inside nested objects and
// behind pointers; without it, or for a plain field, the field is named.
func TestDescribeTypeErrorInNamesElementsAndValues(t *testing.T) {
	type inner struct {
		Tags []uint8 `json:"tags"`
	}
	type body struct {
		Channels []string         `json:"channels"`
		Counts   map[string]int64 `json:"counts"`
		Pair     [2]bool          `json:"pair"`
		Inner    *inner           `json:"inner"`
		Name     string           `json:"name"`
		Renamed  []int            `json:"other_name"`
	}
	for doc, want := range map[string]string{
		`{"channels":["a",1]}`:       `every element of field "channels" must be a string; got a JSON number`,
		`{"channels":"a"}`:           `field "channels" must be an array; got a JSON string`,
		`{"counts":{"a":"x"}}`:       `every value of field "counts" must be an integer; got a JSON string`,
		`{"pair":[true,1]}`:          `every element of field "pair" must be true or false; got a JSON number`,
		`{"inner":{"tags":[1,300]}}`: `every element of field "inner.tags" must be an integer from 0 to 255; got 300, out of range`,
		`{"name":[1]}`:               `field "name" must be a string; got a JSON array`,
		`{"other_name":[1,"x"]}`:     `every element of field "other_name" must be an integer; got a JSON string`,
	} {
		v := new(body)
		msg, ok := DescribeTypeErrorIn(json.Unmarshal([]byte(doc), v), v)
		if !ok || msg != want {
			t.Errorf("%s: %q, %v; want %q", doc, msg, ok, want)
		}
	}
	msg, _ := DescribeTypeError(json.Unmarshal([]byte(`{"channels":["a",1]}`), new(body)))
	if msg != `field "channels" must be a string; got a JSON number` {
		t.Errorf("without the target: %q", msg)
	}
}

func TestDuplicateKeyNamesThePathAndSkipsPayloads(t *testing.T) {
	payload := func(p string) bool { return strings.HasSuffix(p, ".data") }
	for doc, want := range map[string]string{
		`{"id":1,"subscribe":{"channel":"a","channel":"b"}}`: "subscribe.channel",
		`{"id":1,"id":2}`: "id",
		`{"id":1,"publish":{"data":{"x":1,"x":2}}}`: "",
		`{"a":[{"k":1},{"k":1,"k":2}]}`:             "a[1].k",
		`{"a":1}`:                                   "",
		`{"a":`:                                     "",
	} {
		if got := DuplicateKey([]byte(doc), payload); got != want {
			t.Errorf("%s: %q; want %q", doc, got, want)
		}
	}
}

func TestBodyKeyProblemFoldsCaseLikeEncodingJSON(t *testing.T) {
	data := func(p string) bool { return p == "data" }
	for doc, want := range map[string]string{
		`{"channel":"a","Channel":"b"}`:        `field "Channel" is given twice; give each field once`,
		`{"Channel":"a"}`:                      `field "Channel" is not known: field names are lower case ("channel")`,
		`{"since":{"offset":1,"OFFSET":2}}`:    `field "since.OFFSET" is given twice; give each field once`,
		`{"channel":"a","data":{"X":1,"x":2}}`: "",
		`{"channel":"a","data":1,"Data":2}`:    `field "Data" is given twice; give each field once`,
		`{"channel":"a","data":1}`:             "",
	} {
		if got := BodyKeyProblem([]byte(doc), data); got != want {
			t.Errorf("%s: %q; want %q", doc, got, want)
		}
	}
}
