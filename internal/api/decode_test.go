package api

import (
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// Request bodies that do not decode get a message in the API's terms: the
// field and the JSON it needs, never the decoder's Go type names.
func TestDecodeNamesTheFieldAndTheJSONItNeeds(t *testing.T) {
	cases := []struct {
		body string
		want []string
	}{
		{`[1, 2]`, []string{"must be a JSON object", "array"}},
		{`{"channel": 5}`, []string{`field "channel" must be a string`, "number"}},
		{`{"channels": "room:a"}`, []string{`field "channels" must be an array`, "string"}},
		{`{"channels": ["room:a", 1]}`, []string{`every element of field "channels" must be a string`, "number"}},
		{`{"user": "x", "before": "soon"}`, []string{`field "before" must be an integer`, "string"}},
		{`{"channel": "room:a",`, []string{"ends too early"}},
		{`{"channel": room}`, []string{"not valid JSON at byte"}},
		{`{"chanel": "room:a"}`, []string{`unknown field "chanel"`}},
		{`{} {}`, []string{"more after the JSON value at byte 3"}},
		{`{}]`, []string{"more after the JSON value at byte 2"}},
		{`{"channel":"room:a","channel":"room:b","data":1}`, []string{`field "channel" is given twice`}},
		{`{"channel":"room:a","data":1,"data":2}`, []string{`field "data" is given twice`}},
		{`{"user":"x","before":1,"before":2}`, []string{`field "before" is given twice`}},
		{`{"channel":"room:a","since":{"offset":"1"}}`, []string{`field "since.offset" must be a non-negative integer`, "string"}},
	}
	for _, c := range cases {
		var err *wire.Error
		switch {
		case strings.Contains(c.body, "channels"):
			var v BroadcastRequest
			err = decode([]byte(c.body), &v)
		case strings.Contains(c.body, "before"):
			var v RevokeTokensRequest
			err = decode([]byte(c.body), &v)
		case strings.Contains(c.body, "since"):
			var v HistoryRequest
			err = decode([]byte(c.body), &v)
		default:
			var v PublishRequest
			err = decode([]byte(c.body), &v)
		}
		if err == nil {
			t.Errorf("%s: decoded without an error", c.body)
			continue
		}
		if err.Code != wire.CodeBadRequest {
			t.Errorf("%s: code %d, want %d", c.body, err.Code, wire.CodeBadRequest)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Message, w) {
				t.Errorf("%s: message %q lacks %q", c.body, err.Message, w)
			}
		}
		for _, goName := range []string{"Go value", "api.", "int64", "json.RawMessage"} {
			if strings.Contains(err.Message, goName) {
				t.Errorf("%s: message %q names Go internals (%q)", c.body, err.Message, goName)
			}
		}
	}
}

// Equal keys inside the publication's own data are the client's business
// and pass through; the request's fields and their nested objects must be
// given once.
func TestDuplicateKeyLooksAtTheRequestNotTheData(t *testing.T) {
	for body, want := range map[string]string{
		`{"channel":"room:a","data":{"x":1,"x":2}}`:                  "",
		`{"channel":"room:a","data":[{"x":1,"x":2}]}`:                "",
		`{"channel":"room:a","since":{"offset":1,"offset":2}}`:       "since.offset",
		`{"channels":["a","a"],"data":1}`:                            "",
		`{"list":[{"k":1},{"k":1,"k":2}]}`:                           "list[1].k",
		`{"channel":"room:a","data":1,"idempotency_key":"k","x":{}}`: "",
	} {
		if got := wire.DuplicateKey([]byte(body), isPayload); got != want {
			t.Errorf("%s: duplicate %q; want %q", body, got, want)
		}
	}
}

// FuzzDecode: any body either decodes or gets a bad-request error with a
// message; nothing panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"channel":"room:a","data":{"x":1}}`, `[]`, `{"channels":[1]}`, `{"before":1e99}`, "\xff", ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p PublishRequest
		if err := decode(body, &p); err != nil && (err.Code != wire.CodeBadRequest || err.Message == "") {
			t.Fatalf("%q: %+v", body, err)
		}
		var u RevokeTokensRequest
		if err := decode(body, &u); err != nil && (err.Code != wire.CodeBadRequest || err.Message == "") {
			t.Fatalf("%q: %+v", body, err)
		}
	})
}
