package server_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Each server API method takes only its own fields: a field another method
// reads is unknown here and refused, never silently ignored. A backend
// that sends disconnect with a channel (meaning "only from this channel")
// must not close every connection of the user, and block_user with a
// "before" must not block the user for good while the backend believes it
// set a time.
func TestAPIMethodsRefuseOtherMethodsFields(t *testing.T) {
	node := testkit.Start(t, nil)
	kept := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	kept.Connect(node.Token("kept"))
	api := map[string]string{"X-API-Key": node.APIKey}
	for _, tc := range []struct{ method, body, field string }{
		{"disconnect", `{"user":"kept","channel":"room:a"}`, "channel"},
		{"subscribe", `{"user":"kept","channel":"room:a","session":"s1"}`, "session"},
		{"subscribe", `{"user":"kept","channel":"room:a","code":4000}`, "code"},
		{"unsubscribe", `{"user":"kept","channel":"room:a","reason":"x"}`, "reason"},
		{"block_user", `{"user":"kept","before":1}`, "before"},
		{"block_user", `{"user":"kept","session":"s1"}`, "session"},
		{"unblock_user", `{"user":"kept","reason":"x"}`, "reason"},
		{"user_status", `{"user":"kept","role":"admin"}`, "role"},
		{"revoke_tokens", `{"user":"kept","session":"s1"}`, "session"},
		{"revoke_sessions", `{"user":"kept","before":1}`, "before"},
		{"set_role", `{"user":"kept","role":"admin","reason":"x"}`, "reason"},
	} {
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/api/" + tc.method, raw: []byte(tc.body), header: api})
		want := `unknown field "` + tc.field + `"`
		if r.status != http.StatusBadRequest || r.errCode() != wire.CodeBadRequest || !strings.Contains(r.errMessage(), want) {
			t.Errorf("%s %s: %d %s; want 400, code %d, saying %q", tc.method, tc.body, r.status, r.body, wire.CodeBadRequest, want)
		}
	}
	var st struct {
		Blocked       bool  `json:"blocked"`
		RevokedBefore int64 `json:"revoked_before"`
	}
	node.API("user_status", map[string]any{"user": "kept"}, &st)
	if st.Blocked || st.RevokedBefore != 0 {
		t.Fatalf("user_status after refused calls = %+v; want neither blocked nor revoked", st)
	}
	if rep := kept.Call(&protocol.Command{Id: 1, Rpc: &protocol.RPCRequest{Method: "time"}}); rep.Error != nil {
		t.Fatalf("the user's connection after refused calls: %+v", rep.Error)
	}
}

// A broadcast whose data or idempotency key no channel could take is a bad
// request as a whole: 400 once, not 200 with the same error for every
// channel (a backend that checks the status would take it for delivered).
func TestBroadcastRefusesBadDataOnce(t *testing.T) {
	node := testkit.Start(t, nil)
	api := map[string]string{"X-API-Key": node.APIKey}
	for _, tc := range []struct{ body, want string }{
		{`{"channels":["room:a","room:b"]}`, "data is empty"},
		{`{"channels":["room:a","room:b"],"data":1,"idempotency_key":"a b"}`, "idempotency key"},
	} {
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/api/broadcast", raw: []byte(tc.body), header: api})
		if r.status != http.StatusBadRequest || r.errCode() != wire.CodeBadRequest || !strings.Contains(r.errMessage(), tc.want) {
			t.Errorf("broadcast %s: %d %s; want 400, code %d, saying %q", tc.body, r.status, r.body, wire.CodeBadRequest, tc.want)
		}
	}
	var hist struct {
		Offset uint64 `json:"offset"`
	}
	node.API("history", map[string]any{"channel": "room:a"}, &hist)
	if hist.Offset != 0 {
		t.Fatalf("room:a is at offset %d after refused broadcasts; want nothing stored", hist.Offset)
	}
}

// A disconnect reason travels in the WebSocket close frame, which holds 123
// bytes of it: a longer one is refused with the limit rather than cut
// silently, and one that fits arrives whole.
func TestDisconnectReasonFitsTheCloseFrame(t *testing.T) {
	node := testkit.Start(t, nil)
	c := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	c.Connect(node.Token("kicked"))
	long := strings.Repeat("é", 62) // 124 bytes
	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/api/disconnect",
		body: map[string]any{"user": "kicked", "code": 4000, "reason": long}, header: map[string]string{"X-API-Key": node.APIKey}})
	if r.status != http.StatusBadRequest || r.errCode() != wire.CodeBadRequest || !strings.Contains(r.errMessage(), "123") {
		t.Fatalf("disconnect with a 124-byte reason: %d %s; want 400 naming the 123-byte limit", r.status, r.body)
	}
	fits := long[:122] + "x"
	if status := node.API("disconnect", map[string]any{"user": "kicked", "code": 4000, "reason": fits}, nil); status != http.StatusOK {
		t.Fatalf("disconnect with a 123-byte reason: %d", status)
	}
	if code, reason := c.Closed(testTimeout); code != 4000 || reason != fits {
		t.Fatalf("closed with %d %q; want 4000 and the whole reason", code, reason)
	}
}

// A compressed body is refused for what it is, not as invalid UTF-8 at
// byte 1: the API reads bodies as they are sent.
func TestAPIRefusesCompressedBodies(t *testing.T) {
	node := testkit.Start(t, nil)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"channel":"room:gz","data":1}`))
	_ = zw.Close()
	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/api/publish", raw: gz.Bytes(),
		header: map[string]string{"X-API-Key": node.APIKey, "Content-Encoding": "gzip"}})
	if r.status != http.StatusUnsupportedMediaType || r.errCode() != wire.CodeBadRequest || !strings.Contains(r.errMessage(), "Content-Encoding") {
		t.Fatalf("gzip body: %d %s; want 415, code %d, naming Content-Encoding", r.status, r.body, wire.CodeBadRequest)
	}
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/api/publish", raw: []byte(`{"channel":"room:gz","data":1}`),
		header: map[string]string{"X-API-Key": node.APIKey, "Content-Encoding": "identity"}})
	if r.status != http.StatusOK {
		t.Fatalf("identity body: %d %s; want 200", r.status, r.body)
	}
}
