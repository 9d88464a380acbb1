package wire

import (
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	type req struct {
		Room  string `json:"room"`
		Limit int32  `json:"limit"`
		Data  any    `json:"data"`
	}
	isData := func(p string) bool { return p == "data" }
	for body, want := range map[string]string{
		``:                             "",
		`{"room":"a","limit":3}`:       "",
		`{"data":{"Room":1,"room":2}}`: "", // the payload is not looked into
		`{"room":1}`:                   `field "room" must be a string; got a JSON number`,
		`{"limit":4294967296}`:         `field "limit" must be an integer from -2147483648 to 2147483647`,
		`{"rooom":"a"}`:                `unknown field "rooom"`,
		`{"room":"a","room":"b"}`:      `"room"`,
		`{"Room":"a"}`:                 `"Room"`,
		`[1]`:                          "the body must be a JSON object; got a JSON array",
		`{"room":`:                     "the JSON ends too early",
		`{"room":"a"} {}`:              "more than one JSON value",
		`{"room":"a"}x`:                "more than one JSON value",
		`{room:1}`:                     "not valid JSON at byte 2",
	} {
		var v req
		got := DecodeStrict([]byte(body), &v, isData)
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("DecodeStrict(%s) = %q; want %q", body, got, want)
		}
		if strings.Contains(got, "Go struct") || strings.Contains(got, "json:") {
			t.Errorf("DecodeStrict(%s) = %q: names the decoder's Go types", body, got)
		}
	}
}
