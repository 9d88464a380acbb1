package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A user id with a control or format character (a bidirectional override
// makes "\u202Eevil" print as "live") is refused wherever one enters the
// chat and support: the server API's "as", the user a moderator acts on,
// support_list's filters, and a connection token's "sub" (the token is
// invalid). Plain ids pass.
func TestChatRefusesUserIDsWithControlOrFormatCharacters(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "ids"
	for _, tc := range []struct {
		method string
		body   map[string]any
		want   string
	}{
		{"chat_send", map[string]any{"room": room, "as": "\u202eevil", "text": "hi"}, `"as": user id "\u202eevil" has a control or format character (U+202E) at byte 0`},
		{"chat_send", map[string]any{"room": room, "as": "bo\u200bb", "text": "hi"}, "(U+200B) at byte 2"},
		{"chat_send", map[string]any{"room": room, "as": strings.Repeat("x", 256), "text": "hi"}, "user id is 256 bytes; the limit is 255"},
		{"chat_moderate", map[string]any{"room": room, "action": "ban", "user": "\u202eevil"}, `ban: user id "\u202eevil" has a control or format character (U+202E)`},
		{"chat_moderate", map[string]any{"room": room, "as": "mia\u2066", "action": "clear"}, "(U+2066) at byte 3"},
		{"chat_report", map[string]any{"room": room, "as": "ada", "user": "\u202eevil", "reason": "spam"}, `report: user id "\u202eevil"`},
		{"support_list", map[string]any{"user": "\u202eevil"}, `support_list: "user": user id "\u202eevil"`},
		{"support_list", map[string]any{"agent": "sa\u0000m"}, `support_list: "agent": user id`},
	} {
		status, werr := chatAPI(t, node, tc.method, tc.body, nil)
		if status != http.StatusBadRequest || werr == nil || werr.Code != wire.CodeBadRequest || !strings.Contains(werr.Message, tc.want) {
			t.Errorf("%s %q: %d %+v; want 400, code %d, saying %q", tc.method, tc.body, status, werr, wire.CodeBadRequest, tc.want)
		}
	}

	// A token whose sub has one does not connect at all (3500, naming sub).
	// The cause fits in the close reason (123 bytes) also for a long id.
	for sub, cause := range map[string]string{"\u202eevil": "U+202E", strings.Repeat("é", 120) + "\n": "U+000A at byte 240"} {
		raw := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
		raw.Send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: node.Token(sub)}})
		if code, reason := raw.Closed(5 * time.Second); code != 3500 || !strings.Contains(reason, cause) {
			t.Errorf("connect with a sub holding %s: closed %d %q; want 3500 naming it", cause, code, reason)
		}
	}

	// Plain ids, also beyond ASCII, pass.
	if status, werr := chatAPI(t, node, "chat_send", map[string]any{"room": room, "as": "élise 2", "text": "hi"}, nil); werr != nil {
		t.Fatalf("chat_send as a plain user: %d %+v", status, werr)
	}
	if status, werr := chatAPI(t, node, "chat_moderate", map[string]any{"room": room, "action": "ban", "user": "élise 2"}, nil); werr != nil {
		t.Fatalf("chat_moderate on a plain user: %d %+v", status, werr)
	}
	mustRPC(t, chatUser(t, node, "ada", nil), wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "hi"}, nil)
}
