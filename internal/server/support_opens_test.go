package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A user has one open conversation, but withdrawing it and opening
// another in a loop used to have no limit: each round put a conversation
// in every agent's queue and two entries in the room's support audit log.
// New conversations are limited per user (open_rate per open_window),
// counted on every node; opening again while one is open is not counted;
// the refusal is temporary and says how long to wait; other users are
// not affected.
func TestSupportOpenRateLimitsNewConversations(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Support.OpenRate = 3 })
	cfg := support.DefaultConfig()
	cfg.OpenRate = 3
	other := supportmodule.New(supportmodule.Config{Support: cfg}, node.Server.Hub()).RPCMethods()
	ada := chatUser(t, node, "ada", nil)

	withdraw := func(id string) {
		t.Helper()
		mustRPC(t, ada, wire.MethodSupportResolve, wire.SupportResolveRequest{ID: id}, nil)
	}
	first := openSupport(t, ada, "spam", "help")
	var again wire.SupportOpenResult
	mustRPC(t, ada, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: "spam"}, &again)
	if !again.Existing || again.Conversation.ID != first.ID {
		t.Fatalf("opening again = %+v; want the open conversation", again)
	}
	withdraw(first.ID)
	// The second through another node: the count is shared.
	data, _ := json.Marshal(wire.SupportOpenRequest{Room: "spam", Text: "help"})
	raw, err := other[wire.MethodSupportOpen](context.Background(), hub.RPCCall{User: "ada", Method: wire.MethodSupportOpen, Data: data})
	var second wire.SupportOpenResult
	if err != nil || json.Unmarshal(raw, &second) != nil || second.Existing {
		t.Fatalf("second open on another node: %v %s", err, raw)
	}
	withdraw(second.Conversation.ID)
	withdraw(openSupport(t, ada, "spam", "help").ID)

	e := wantCode(t, rpc(ada, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: "spam", Text: "help"}, nil),
		wire.CodeSupportRateLimited, "a fourth new conversation within the window")
	if !e.Temporary || !strings.Contains(e.Message, "wait") || !strings.Contains(e.Message, "10 min") {
		t.Fatalf("refusal %+v; want a temporary error saying how long to wait", e)
	}
	var cur wire.SupportCurrentResult
	mustRPC(t, ada, wire.MethodSupportCurrent, struct{}{}, &cur)
	if cur.Conversation != nil {
		t.Fatalf("support.current = %+v after a refused open; want none", cur.Conversation)
	}
	if q := queued(t, node); len(q) != 0 {
		t.Fatalf("queue %+v; want nothing from the refused open", q)
	}
	openSupport(t, chatUser(t, node, "bob", nil), "spam", "help")
}

// A retried support.open (its reply lost to a dropped network) used to
// send its text again in the conversation the first attempt opened: the
// agent saw the user's first message twice. With a cid the retry is
// answered with the open conversation and sends nothing, on any node;
// another cid, or none (another tap with new words), still sends.
func TestSupportOpenRetryWithCIDSendsTextOnce(t *testing.T) {
	node := testkit.Start(t, nil)
	other := supportmodule.New(supportmodule.Config{Support: support.DefaultConfig()}, node.Server.Hub()).RPCMethods()
	ada := chatUser(t, node, "ada", nil)
	req := wire.SupportOpenRequest{Room: "retry", Text: "my card was charged twice", CID: "open-1"}
	var first, retried wire.SupportOpenResult
	mustRPC(t, ada, wire.MethodSupportOpen, req, &first)
	mustRPC(t, ada, wire.MethodSupportOpen, req, &retried)
	data, _ := json.Marshal(req)
	raw, err := other[wire.MethodSupportOpen](context.Background(), hub.RPCCall{User: "ada", Method: wire.MethodSupportOpen, Data: data})
	var elsewhere wire.SupportOpenResult
	if err != nil || json.Unmarshal(raw, &elsewhere) != nil {
		t.Fatalf("retry on another node: %v %s", err, raw)
	}
	for _, r := range []wire.SupportOpenResult{retried, elsewhere} {
		if !r.Existing || r.Conversation.ID != first.Conversation.ID || r.Conversation.Messages != 1 {
			t.Fatalf("retried open = %+v; want the open conversation with its one message", r)
		}
	}
	// A message sent with a cid is not sent again by an open carrying it.
	mustRPC(t, ada, wire.MethodSupportSend, wire.SupportSendRequest{ID: first.Conversation.ID, Text: "it was 20 EUR", CID: "m-1"}, nil)
	mustRPC(t, ada, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: "retry", Text: "it was 20 EUR", CID: "m-1"}, nil)
	mustRPC(t, ada, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: "retry", Text: "also my stream froze", CID: "open-2"}, nil)
	var tr wire.SupportTranscript
	mustRPC(t, ada, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: first.Conversation.ID}, &tr)
	var texts []string
	for _, ev := range tr.Events {
		texts = append(texts, ev.Type+":"+ev.Text)
	}
	if got := strings.Join(texts, " | "); got != "opened:my card was charged twice | message:it was 20 EUR | message:also my stream froze" {
		t.Fatalf("transcript %q; want each text once", got)
	}
	wantCode(t, rpc(ada, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: "retry", CID: "has space"}, nil), wire.CodeBadRequest, "an invalid cid")
}
