package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestOverlongUserIDsLeaveTheNodeServing: user ids of thousands of bytes
// (a lookup list, the server API's "as" and "user") used to reach the
// message bus as subjects over its protocol line limit; the NATS server
// closed the node's one connection, and from then on every write, read and
// new connection failed until a restart, while /healthz still said ok.
// Each must now be refused or ignored, and the node must go on serving.
func TestOverlongUserIDsLeaveTheNodeServing(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	long := strings.Repeat("a", 5000)
	dots := strings.Repeat(".", 1400) // each escapes to three bytes in a key

	var profiles wire.ChatProfilesResult
	for _, user := range []string{long, dots} {
		if err := rpc(ada, wire.MethodChatProfiles, wire.ChatProfilesRequest{Room: "lobby", Users: []string{user, "ada"}}, &profiles); err != nil && strings.Contains(err.Error(), "internal") {
			t.Fatalf("chat.profiles with a %d-byte user: %v; want an answer or a bad request", len(user), err)
		}
		if err := rpc(ada, wire.MethodSupportNames, wire.SupportNamesRequest{Users: []string{user}}, nil); err != nil && strings.Contains(err.Error(), "internal") {
			t.Fatalf("support.names with a %d-byte user: %v; want an answer or a bad request", len(user), err)
		}
	}
	for _, call := range []struct {
		method string
		body   any
	}{
		{"chat_send", map[string]any{"room": "lobby", "as": long, "text": "hi"}},
		{"disconnect", map[string]any{"user": long}}, // 400 now: no connection can have it
		{"presence", map[string]any{"channel": "room:" + long}},
	} {
		status := node.API(call.method, call.body, nil)
		t.Logf("POST /api/%s with a %d-byte name: %d", call.method, len(long), status)
		if status >= 500 {
			t.Fatalf("POST /api/%s with a %d-byte name: status %d; want it refused as bad input or served", call.method, len(long), status)
		}
	}

	// Account calls name the id's limit rather than failing as if the
	// store were down.
	for _, method := range []string{"revoke_sessions", "disconnect", "block_user"} {
		if status := node.API(method, map[string]any{"user": long}, nil); status != 400 {
			t.Fatalf("POST /api/%s with a %d-byte user: %d; want 400", method, len(long), status)
		}
		if status := node.API(method, map[string]any{"user": "a\u202eb"}, nil); status != 400 {
			t.Fatalf("POST /api/%s with a user holding U+202E: %d; want 400", method, status)
		}
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(node.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d after the overlong names; want 200", path, resp.StatusCode)
		}
	}
	if err := node.Server.Engine().ConnectionLost(); err != nil {
		t.Fatalf("engine: %v", err)
	}
	var sent wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: "lobby", Text: "still here", CID: "after"}, &sent)
	if sent.Status != wire.StatusPublished {
		t.Fatalf("send after the overlong names: %+v; want published", sent)
	}
	if off := node.Publish("room:after", map[string]string{"x": "y"}); off != 1 {
		t.Fatalf("publish after the overlong names: offset %d; want 1", off)
	}
}
