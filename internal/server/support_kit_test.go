package server_test

import (
	"encoding/json"
	"testing"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

var agentRoles = wire.Roles{wire.SupportScope: {wire.RoleAgent}}

// supportEvents decodes the conversation events a recorder holds.
func supportEvents(r *recorder) []wire.SupportEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]wire.SupportEvent, 0, len(r.pubs))
	for _, p := range r.pubs {
		var ev wire.SupportEvent
		if json.Unmarshal(p.Data, &ev) == nil {
			ev.Offset = p.Offset
			out = append(out, ev)
		}
	}
	return out
}

// queueEvents decodes the summaries published on the queue channel.
func queueEvents(r *recorder) []wire.SupportConversation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wire.SupportConversation
	for _, p := range r.pubs {
		var ev wire.SupportQueueEvent
		if json.Unmarshal(p.Data, &ev) == nil && ev.Type == "conversation" {
			out = append(out, ev.Conversation)
		}
	}
	return out
}

func hasSupportEvent(r *recorder, match func(wire.SupportEvent) bool) bool {
	for _, ev := range supportEvents(r) {
		if match(ev) {
			return true
		}
	}
	return false
}

// openSupport opens a conversation as c and returns its summary.
func openSupport(t *testing.T, c *centrifuge.Client, room, text string) wire.SupportConversation {
	t.Helper()
	var res wire.SupportOpenResult
	mustRPC(t, c, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: room, Text: text}, &res)
	if res.Conversation.ID == "" || res.Conversation.Status != wire.StatusQueued && !res.Existing {
		t.Fatalf("support.open = %+v; want a queued conversation", res)
	}
	return res.Conversation
}

// queued reads the queue through the server API.
func queued(t *testing.T, node *testkit.Node) []wire.SupportConversation {
	t.Helper()
	var q wire.SupportQueue
	if status, werr := chatAPI(t, node, "support_queue", map[string]any{}, &q); werr != nil {
		t.Fatalf("support_queue: %d %+v", status, werr)
	}
	return q.Conversations
}
