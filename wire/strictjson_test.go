package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
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
		`{"room":"a"} {}`:              "more after the JSON value at byte 13",
		"{\"room\":\"a\"}\f":           "more after the JSON value at byte 12",
		"{\"room\":\"a\"}\u00a0":       "more after the JSON value at byte 12",
		"\u00a0":                       "not valid JSON",
		`{"room":"a"}]`:                "more after the JSON value at byte 12",
		`{"room":"a"}}`:                "more after the JSON value at byte 12",
		`{"room":"a\ud800b"}`:          "at byte 10 is half of a UTF-16 surrogate pair",
		`{"room":"a\udc00"}`:           "at byte 10 is half of a UTF-16 surrogate pair",
		`{"room":"\ud83d\ude00"}`:      "",
		`{"room":"\\ud800"}`:           "",
		`{"room":"a"}x`:                "more after the JSON value at byte 12",
		// Bytes count from 0 in every message: the 'r' is byte 1, as the
		// 'x' of {"room":"a"}x is byte 12.
		`{room:1}`: "not valid JSON at byte 1 ",
		`x`:        "not valid JSON at byte 0 ",
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

// FuzzLoneSurrogate: a JSON string LoneSurrogate passes decodes without a
// U+FFFD that the input did not spell itself.
func FuzzLoneSurrogate(f *testing.F) {
	for _, s := range []string{`a`, `\ud800`, `\ud83d\ude00`, `\\ud800`, `\udc00x`, `\ud800\u0041`, `\"\ud800`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		data := append(append([]byte{'"'}, raw...), '"')
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		var out string
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("valid JSON %q did not decode: %v", data, err)
		}
		spelled := bytes.ContainsRune(data, utf8.RuneError) || bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`))
		if LoneSurrogate(data) < 0 && strings.ContainsRune(out, utf8.RuneError) && !spelled {
			t.Fatalf("%q passed but decodes to %q", data, out)
		}
	})
}
