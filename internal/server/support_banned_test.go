package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A user banned from a room cannot read its chat, and support does not
// read it to them either: the conversation they open from the room gets
// no recent messages (what their page reported stays), while another
// user's conversation from the same room gets them.
func TestSupportBannedUserGetsNoRoomContext(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "banned-help"
	ada := chatUser(t, node, "ada", nil)
	bob := chatUser(t, node, "bob", nil)
	mia := chatUser(t, node, "mia", modRoles)
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "before the ban"}, nil)
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActBan, User: "bob"}, nil)
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "after the ban"}, nil)
	_, err := bob.History(context.Background(), wire.ChatChannel(room), centrifuge.WithHistoryLimit(10))
	wantCode(t, err, wire.CodeChatBanned, "the banned user's history of the room")

	var res wire.SupportOpenResult
	mustRPC(t, bob, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: room, Text: "why can't I chat?",
		Context: &wire.SupportClientContext{Page: "/room/" + room}}, &res)
	var tr wire.SupportTranscript
	mustRPC(t, bob, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: res.Conversation.ID}, &tr)
	if len(tr.Events) != 1 || tr.Events[0].Context == nil || tr.Events[0].Context.Client == nil || tr.Events[0].Context.Client.Page != "/room/"+room {
		t.Fatalf("transcript %+v; want the opened event with what the page reported", tr)
	}
	if recent := tr.Events[0].Context.Recent; len(recent) != 0 {
		t.Fatalf("the banned user's conversation carries the room's messages %+v; want none", recent)
	}
	var api wire.SupportTranscript
	if status, werr := chatAPI(t, node, "support_transcript", map[string]any{"id": res.Conversation.ID}, &api); status != http.StatusOK || werr != nil ||
		len(api.Events) != 1 || len(api.Events[0].Context.Recent) != 0 {
		t.Fatalf("support_transcript: %d %+v %+v; want no room messages for agents either", status, werr, api)
	}

	// Someone who may read the room gets its recent messages.
	ada2 := openSupport(t, ada, room, "")
	var adaTr wire.SupportTranscript
	mustRPC(t, ada, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: ada2.ID}, &adaTr)
	if len(adaTr.Events) != 1 || adaTr.Events[0].Context == nil || len(adaTr.Events[0].Context.Recent) != 2 ||
		adaTr.Events[0].Context.Recent[1].Text != "after the ban" {
		t.Fatalf("transcript %+v; want the room's two messages attached", adaTr)
	}
}
