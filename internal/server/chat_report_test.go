package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// One user cannot flood a room's report queue: reports are limited per
// reporter (a temporary refusal saying how long to wait), and a report
// about a user the room has never seen is refused.
func TestChatReportLimits(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "flood"
	for i := 1; i <= 6; i++ {
		u := fmt.Sprintf("u%d", i)
		if status, werr := chatAPI(t, node, "chat_send", map[string]any{"room": room, "as": u, "text": "hello from " + u}, nil); status != http.StatusOK {
			t.Fatalf("chat_send as %s: %d %+v", u, status, werr)
		}
	}
	status, werr := chatAPI(t, node, "chat_report", map[string]any{"room": room, "as": "rep", "user": "fake1", "reason": "spam"}, nil)
	if status != http.StatusNotFound || werr == nil || werr.Code != wire.CodeChatNoMessage {
		t.Fatalf("a report about a user who never used the room: %d %+v; want 404 / %d", status, werr, wire.CodeChatNoMessage)
	}
	for i := 1; i <= 5; i++ {
		req := map[string]any{"room": room, "as": "rep", "user": fmt.Sprintf("u%d", i), "reason": "spam"}
		if status, werr := chatAPI(t, node, "chat_report", req, nil); status != http.StatusOK {
			t.Fatalf("report %d: %d %+v; want it accepted", i, status, werr)
		}
	}
	status, werr = chatAPI(t, node, "chat_report", map[string]any{"room": room, "as": "rep", "user": "u6", "reason": "spam"}, nil)
	if status != http.StatusTooManyRequests || werr == nil || werr.Code != wire.CodeChatRateLimited || !werr.Temporary || !strings.Contains(werr.Message, "wait") {
		t.Fatalf("a sixth report within a minute: %d %+v; want 429 / %d, temporary, saying how long to wait", status, werr, wire.CodeChatRateLimited)
	}
	// Another reporter is not limited by the first one's reports.
	if status, werr := chatAPI(t, node, "chat_report", map[string]any{"room": room, "as": "rep2", "user": "u6", "reason": "spam"}, nil); status != http.StatusOK {
		t.Fatalf("another reporter's report: %d %+v", status, werr)
	}
}
