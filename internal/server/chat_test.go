package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// The room channel is the chat's history: a send, an edit, a reaction and
// a delete are each one event every subscriber sees, with contiguous
// offsets; a retried send with the same cid is answered, not repeated;
// nobody publishes into the channel except the chat.
func TestChatMessagesAreTheRoomHistory(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	bob := chatUser(t, node, "bob", nil)
	sub, rec := subscribe(t, bob, wire.ChatChannel("lobby"), centrifuge.SubscriptionConfig{})

	var sent wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: "lobby", Text: "hello  world", CID: "c1"}, &sent)
	if sent.Status != wire.StatusPublished || sent.Offset != 1 || sent.Text != "hello world" || sent.ID == "" {
		t.Fatalf("send result %+v; want published at offset 1 with normalised text", sent)
	}
	var again wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: "lobby", Text: "hello  world", CID: "c1"}, &again)
	if !again.Duplicate || again.ID != sent.ID || again.Offset != 1 {
		t.Fatalf("retry with the same cid = %+v; want the first result marked duplicate", again)
	}
	mustRPC(t, ada, wire.MethodChatEdit, wire.ChatEditRequest{Room: "lobby", ID: sent.ID, Text: "hello, world"}, nil)
	var react wire.ChatReactResult
	mustRPC(t, bob, wire.MethodChatReact, wire.ChatReactRequest{Room: "lobby", ID: sent.ID, Emoji: "🔥", On: true}, &react)
	if react.Count != 1 {
		t.Fatalf("react count %d; want 1", react.Count)
	}
	mustRPC(t, ada, wire.MethodChatDelete, wire.ChatDeleteRequest{Room: "lobby", ID: sent.ID}, nil)

	testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() == 4 }, "four events delivered")
	want := []string{wire.EventMessage, wire.EventEdit, wire.EventReact, wire.EventDelete}
	for i, ev := range events(rec) {
		if ev.Type != want[i] || ev.ID != sent.ID {
			t.Fatalf("event %d = %+v; want %s of %s", i, ev, want[i], sent.ID)
		}
	}
	if got := rec.offsets(); got[0] != 1 || got[3] != 4 {
		t.Fatalf("offsets %v; want 1..4", got)
	}
	rec.mu.Lock()
	author := rec.pubs[0].Info
	rec.mu.Unlock()
	if author == nil || author.User != "ada" || len(author.ConnInfo) != 0 {
		t.Fatalf("message info %+v; want only the author's user id (names come from profiles)", author)
	}

	// Client publish into the chat is closed, and so is the server API's.
	if _, err := sub.Publish(context.Background(), []byte(`{"type":"message","text":"forged"}`)); err == nil {
		t.Fatal("a client published into the room channel")
	}
	status, werr := chatAPI(t, node, "publish", map[string]any{"channel": wire.ChatChannel("lobby"), "data": map[string]string{"type": "message"}}, nil)
	if status != http.StatusForbidden || werr.Code != wire.CodePermissionDenied {
		t.Fatalf("API publish into the room channel: %d %+v; want 403", status, werr)
	}

	// Names are resolved from profiles, written when users act.
	var prof wire.ChatProfilesResult
	mustRPC(t, bob, wire.MethodChatProfiles, wire.ChatProfilesRequest{Room: "lobby", Users: []string{"ada", "nobody"}}, &prof)
	if prof.Profiles["ada"].Name != "ada" || len(prof.Profiles) != 1 {
		t.Fatalf("profiles %+v; want ada's name only", prof.Profiles)
	}
}
