package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestEditedMessagesServeTheirLatestTextOnRead: an author posted a phone
// number, pinned by a moderator, and edited it out twice. History and
// recovery served the first text in the message event, in the first edit
// and in the pin's copy, to anyone who read the room later. Every one of
// them must carry the latest text (the message marked "edited", its
// mentions those of the new text), at the same offsets; messages that
// were not edited are served as sent.
func TestEditedMessagesServeTheirLatestTextOnRead(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	mod := chatUser(t, node, "mia", modRoles)
	const room = "edits"
	const first, middle, latest = "@bob call me at 555 0199", "call me later", "call me tomorrow"
	// A subscriber holds the channel, so the first recovery below is served
	// from the node's memory.
	watcher := chatUser(t, node, "wes", nil)
	subscribe(t, watcher, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
	var msg, plain wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: first, CID: "c1"}, &msg)
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "not edited", CID: "c2"}, &plain)
	mustRPC(t, mod, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActPin, ID: msg.ID}, nil)
	mustRPC(t, ada, wire.MethodChatEdit, wire.ChatEditRequest{Room: room, ID: msg.ID, Text: middle}, nil)
	hist, err := chatUser(t, node, "zoe", nil).History(context.Background(), wire.ChatChannel(room), centrifuge.WithHistoryLimit(0))
	if err != nil {
		t.Fatal(err)
	}
	// A reader between the two edits gets the first edit's text.
	for _, ev := range chatHistory(t, chatUser(t, node, "yan", nil), room) {
		if ev.Type == wire.EventMessage && ev.ID == msg.ID && (ev.Text != middle || !ev.Edited) {
			t.Fatalf("message after one edit: %+v; want %q, edited", ev, middle)
		}
	}
	mustRPC(t, ada, wire.MethodChatEdit, wire.ChatEditRequest{Room: room, ID: msg.ID, Text: latest}, nil)

	check := func(what string, evs []wire.ChatEvent) {
		t.Helper()
		var message, edits, pin, kept int
		for _, ev := range evs {
			raw, _ := json.Marshal(ev)
			if strings.Contains(string(raw), "555") || strings.Contains(string(raw), middle) {
				t.Fatalf("%s: event %+v still carries a replaced text", what, ev)
			}
			switch {
			case ev.Type == wire.EventMessage && ev.ID == msg.ID:
				if ev.Text != latest || !ev.Edited || len(ev.Mentions) != 0 || ev.CID != "c1" {
					t.Fatalf("%s: message %+v; want the latest text, edited, no mentions, its cid", what, ev)
				}
				message++
			case ev.Type == wire.EventEdit && ev.ID == msg.ID && ev.Text == latest:
				edits++
			case ev.Type == wire.EventPin && ev.Message != nil && ev.Message.ID == msg.ID:
				if ev.Message.Text != latest || !ev.Message.Edited {
					t.Fatalf("%s: pin %+v; want its copy with the latest text", what, ev.Message)
				}
				pin++
			case ev.Type == wire.EventMessage && ev.ID == plain.ID:
				if ev.Text != "not edited" || ev.Edited {
					t.Fatalf("%s: a message not edited served as %+v", what, ev)
				}
				kept++
			}
		}
		if message != 1 || edits != 2 || pin != 1 || kept != 1 {
			t.Fatalf("%s: %d messages, %d edits, %d pins, %d others; want 1, 2, 1, 1: %+v", what, message, edits, pin, kept, evs)
		}
	}
	check("history", chatHistory(t, chatUser(t, node, "carol", nil), room))

	recoverFrom := func(what string) {
		t.Helper()
		dave := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
		defer func() { _ = dave.WS.Close() }()
		dave.Connect(node.Token("dave"))
		rep := dave.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{
			Channel: wire.ChatChannel(room), Recover: true, Offset: 0, Epoch: hist.Epoch}})
		if rep.Error != nil || rep.Subscribe == nil || !rep.Subscribe.Recovered {
			t.Fatalf("%s: %+v; want recovered", what, rep)
		}
		evs := make([]wire.ChatEvent, len(rep.Subscribe.Publications))
		for i, p := range rep.Subscribe.Publications {
			if err := json.Unmarshal(p.Data, &evs[i]); err != nil {
				t.Fatal(err)
			}
		}
		check(what, evs)
	}
	recoverFrom("recovery while the channel is held")
	watcher.Close()
	testkit.Eventually(t, 20*time.Second, func() bool {
		return node.Server.Hub().Stats().Channels == 0
	}, "the room channel released")
	recoverFrom("recovery from the stream")
}
