package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// chatHistory reads a room's whole kept history as a user would.
func chatHistory(t *testing.T, c *centrifuge.Client, room string) []wire.ChatEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.History(ctx, wire.ChatChannel(room), centrifuge.WithHistoryLimit(-1))
	if err != nil {
		t.Fatalf("history of %s: %v", room, err)
	}
	out := make([]wire.ChatEvent, len(res.Publications))
	for i, p := range res.Publications {
		if err := json.Unmarshal(p.Data, &out[i]); err != nil {
			t.Fatalf("history event %d: %v", p.Offset, err)
		}
	}
	return out
}

// TestDeletedMessagesAreRedactedInHistoryAndRecovery: a moderator deleted
// a message with someone's address in it; anyone could still read the
// text from the room's history or by recovering from an older offset,
// because the delete is only a later event. History and recovery must
// serve the message (and its edits and a pinned copy) without the text,
// at the same offsets; the messages not deleted keep theirs. A clear
// withdraws every message before it the same way.
func TestDeletedMessagesAreRedactedInHistoryAndRecovery(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	mod := chatUser(t, node, "mia", modRoles)
	const room = "redact"
	secret := "my home address is 12 Secret St"
	send := func(text, cid string) wire.ChatSendResult {
		var r wire.ChatSendResult
		mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: text, CID: cid}, &r)
		return r
	}
	doxx := send(secret, "c1")
	keep := send("nothing to hide", "c2")
	mustRPC(t, ada, wire.MethodChatEdit, wire.ChatEditRequest{Room: room, ID: doxx.ID, Text: secret + ", flat 3"}, nil)
	mustRPC(t, mod, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActPin, ID: doxx.ID}, nil)

	// A subscriber from the start saw it live; then it is deleted.
	watcher := chatUser(t, node, "wes", nil)
	sub, rec := subscribe(t, watcher, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
	_ = sub
	mustRPC(t, mod, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActDelete, ID: doxx.ID, Reason: "doxxing"}, nil)
	testkit.Eventually(t, 10*time.Second, func() bool {
		return hasEvent(rec, func(ev wire.ChatEvent) bool { return ev.Type == wire.EventDelete })
	}, "the delete delivered live")

	check := func(what string, evs []wire.ChatEvent) {
		t.Helper()
		var redacted, kept, deletes int
		for _, ev := range evs {
			raw, _ := json.Marshal(ev)
			if strings.Contains(string(raw), "Secret St") {
				t.Fatalf("%s: event %+v still carries the deleted text", what, ev)
			}
			switch {
			case ev.ID == doxx.ID && (ev.Type == wire.EventMessage || ev.Type == wire.EventEdit) && ev.Redacted:
				redacted++
			case ev.Type == wire.EventPin && ev.Message != nil && ev.Message.ID == doxx.ID && ev.Redacted:
				redacted++
			case ev.ID == keep.ID && ev.Type == wire.EventMessage && ev.Text == "nothing to hide" && !ev.Redacted:
				kept++
			case ev.Type == wire.EventDelete && ev.ID == doxx.ID:
				deletes++
			}
		}
		if redacted != 3 || kept != 1 || deletes != 1 {
			t.Fatalf("%s: %d redacted (message, edit, pin), %d kept, %d deletes; want 3, 1, 1: %+v", what, redacted, kept, deletes, evs)
		}
	}
	carol := chatUser(t, node, "carol", nil)
	check("history", chatHistory(t, carol, room))

	// The server API's history too.
	var api struct {
		Publications []struct {
			Data json.RawMessage `json:"data"`
		} `json:"publications"`
	}
	if status := node.API("history", map[string]any{"channel": wire.ChatChannel(room), "limit": -1}, &api); status != 200 {
		t.Fatalf("api history: %d", status)
	}
	var apiEvents []wire.ChatEvent
	for _, p := range api.Publications {
		var ev wire.ChatEvent
		if err := json.Unmarshal(p.Data, &ev); err != nil {
			t.Fatal(err)
		}
		apiEvents = append(apiEvents, ev)
	}
	check("server API history", apiEvents)

	// Recovery from before the message (the channel is held here, so from
	// the node's memory, then from the stream once nobody holds it).
	hist, err := carol.History(context.Background(), wire.ChatChannel(room), centrifuge.WithHistoryLimit(0))
	if err != nil {
		t.Fatal(err)
	}
	recoverFrom := func(what string) {
		t.Helper()
		dave := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
		dave.Connect(node.Token("dave"))
		rep := dave.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{
			Channel: wire.ChatChannel(room), Recover: true, Offset: 0, Epoch: hist.Epoch}})
		if rep.Error != nil || rep.Subscribe == nil || !rep.Subscribe.Recovered {
			t.Fatalf("%s: %+v; want recovered", what, rep)
		}
		var evs []wire.ChatEvent
		for _, p := range rep.Subscribe.Publications {
			var ev wire.ChatEvent
			if err := json.Unmarshal(p.Data, &ev); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
		check(what, evs)
		_ = dave.WS.Close()
	}
	recoverFrom("recovery while the channel is held")
	watcher.Close()
	carol.Close()
	testkit.Eventually(t, 20*time.Second, func() bool {
		return node.Server.Hub().Stats().Channels == 0
	}, "the room channel released")
	recoverFrom("recovery from the stream")

	// A clear withdraws every message before it, and pins of them.
	mustRPC(t, mod, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActPin, ID: keep.ID}, nil)
	mustRPC(t, mod, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActClear}, nil)
	after := send("after the clear", "c3")
	erin := chatUser(t, node, "erin", nil)
	for _, ev := range chatHistory(t, erin, room) {
		switch {
		case ev.Type == wire.EventMessage && ev.ID == after.ID:
			if ev.Redacted || ev.Text != "after the clear" {
				t.Fatalf("message after the clear: %+v; want it whole", ev)
			}
		case ev.Type == wire.EventMessage && !ev.Redacted:
			t.Fatalf("message before the clear served with its text: %+v", ev)
		case ev.Type == wire.EventPin && (!ev.Redacted || ev.Message == nil || ev.Message.Text != ""):
			t.Fatalf("pin before the clear served with its text: %+v", ev)
		}
	}
}

// TestModeratorDeletesAMessageOlderThanTheRoomsMemory: the room keeps its
// last 300 messages in memory, and a delete of an older one was refused
// as "too old to delete" while history still served its text. A moderator
// may delete any message history still holds; it is then served redacted.
func TestModeratorDeletesAMessageOlderThanTheRoomsMemory(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Chat.RateMessages = 10000 // 302 messages from one user, fast
		c.Chat.AutoSlowOnRate = 10000
		c.Client.CommandsPerSecond = 0
	})
	ada := chatUser(t, node, "ada", nil)
	mod := chatUser(t, node, "mia", modRoles)
	const room = "old"
	var first wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "my phone is 555 0100", CID: "c0"}, &first)
	for i := 1; i <= 301; i++ {
		mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: fmt.Sprintf("message %d", i), CID: fmt.Sprintf("c%d", i)}, nil)
	}
	// Out of memory now; an author cannot delete it, a moderator can.
	err := rpc(ada, wire.MethodChatDelete, wire.ChatDeleteRequest{Room: room, ID: first.ID}, nil)
	wantCode(t, err, wire.CodeChatNoMessage, "the author deleting a message older than the room's memory")
	// Eight moderators' deletes at once, over the protocol and the server
	// API: every one succeeds, and one delete is stored.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := wire.ChatModerateRequest{Room: room, Action: wire.ActDelete, ID: first.ID, Reason: "personal data"}
			if i%2 == 0 {
				errs <- rpc(mod, wire.MethodChatModerate, req, nil)
				return
			}
			status, err := testkit.CallAPI(node.BaseURL, node.APIKey, "chat_moderate", req, nil)
			if err == nil && status != 200 {
				err = fmt.Errorf("status %d", status)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent delete of the old message: %v", err)
		}
	}

	deletes := 0
	for _, ev := range chatHistory(t, chatUser(t, node, "carol", nil), room) {
		switch {
		case ev.ID == first.ID && ev.Type == wire.EventMessage && (!ev.Redacted || ev.Text != ""):
			t.Fatalf("the old message served with its text: %+v", ev)
		case ev.ID == first.ID && ev.Type == wire.EventDelete:
			deletes++
		case ev.ID != first.ID && ev.Type == wire.EventMessage && ev.Redacted:
			t.Fatalf("another message served redacted: %+v", ev)
		}
	}
	if deletes != 1 {
		t.Fatalf("%d delete events for the old message; want 1 (later deletes change nothing)", deletes)
	}
}
