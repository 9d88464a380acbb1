package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// The demo's sign-in reads its body as strictly as the server API and
// answers every refusal with the same error body, saying what to fix.
func TestDemoTokenRefusesAmbiguousOrMalformedBodies(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{"name":"x","name":"y"}`, `field "name" is given twice`},
		{`{"name":"x","admin":true}`, `unknown field "admin"`},
		{`{"name":"x"} garbage`, "more after its JSON object"},
		{"{\"name\":\"a\xffb\"}", "not valid UTF-8"},
		{`{"name":5}`, `field "name" must be a string; got a JSON number`},
		{`{"name":"a\u2028b"}`, "control or invisible character (U+2028) at character 2"},
		{`{"name":"\u3164"}`, "name shows nothing"},
		{`{"name":"\u2800\u115f\u1160\uffa0"}`, "name shows nothing"},
		{`[]`, "not a JSON object"},
	} {
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/demo/token", raw: []byte(tc.body)})
		if r.status != http.StatusBadRequest || r.errCode() != wire.CodeBadRequest || !strings.Contains(r.errMessage(), tc.want) {
			t.Errorf("%s: %d %s; want 400, code %d, saying %q", tc.body, r.status, r.body, wire.CodeBadRequest, tc.want)
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		r := doHTTP(t, node, httpCall{method: method, path: "/demo/token"})
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost || r.errCode() != wire.CodeBadRequest {
			t.Errorf("%s /demo/token: %d Allow=%q %s; want 405, Allow: POST, an error body", method, r.status, r.header.Get("Allow"), r.body)
		}
	}
	if r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/demo/token", raw: []byte(`{"name":"Ada","role":"moderator"}`)}); r.status != http.StatusOK {
		t.Fatalf("a well-formed sign-in: %d %s", r.status, r.body)
	}
}
