package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestSupportContextFollowsTheRoom: a conversation opened from a room keeps
// copies of the room's recent messages. A moderator then deleted one (a
// phone number) and its author edited another, and the transcript, the
// agents' API and the conversation channel's history kept serving the
// first texts. Every read now serves the copies as the room has them:
// deleted ones left out, edited ones with their latest text.
func TestSupportContextFollowsTheRoom(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "help-current"
	ada := chatUser(t, node, "ada", nil)
	mia := chatUser(t, node, "mia", modRoles)
	var doxx, typo wire.ChatSendResult
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "call me on 555 0142"}, &doxx)
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "teh stream froze"}, &typo)
	mustRPC(t, ada, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "still frozen"}, nil)
	conv := openSupport(t, ada, room, "the stream is stuck")

	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActDelete, ID: doxx.ID, Reason: "personal data"}, nil)
	mustRPC(t, ada, wire.MethodChatEdit, wire.ChatEditRequest{Room: room, ID: typo.ID, Text: "the stream froze"}, nil)

	check := func(what string, recent []wire.SupportContextMessage) {
		t.Helper()
		var texts []string
		for _, m := range recent {
			texts = append(texts, m.Text)
		}
		if strings.Join(texts, "|") != "the stream froze|still frozen" {
			t.Fatalf("%s: room messages %q; want the deleted one left out and the edited one as it now reads", what, texts)
		}
	}
	var tr wire.SupportTranscript
	mustRPC(t, ada, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: conv.ID}, &tr)
	check("the user's transcript", tr.Events[0].Context.Recent)
	var api wire.SupportTranscript
	if status, werr := chatAPI(t, node, "support_transcript", map[string]any{"id": conv.ID}, &api); status != http.StatusOK || werr != nil {
		t.Fatalf("support_transcript: %d %+v", status, werr)
	}
	check("support_transcript", api.Events[0].Context.Recent)

	res, err := ada.History(context.Background(), wire.SupportChannel(conv.ID), centrifuge.WithHistoryLimit(-1))
	if err != nil {
		t.Fatalf("history of the conversation channel: %v", err)
	}
	var opened wire.SupportEvent
	if err := json.Unmarshal(res.Publications[0].Data, &opened); err != nil || opened.Type != wire.SupportOpened || opened.Context == nil {
		t.Fatalf("first publication of the conversation: %s (%v)", res.Publications[0].Data, err)
	}
	check("the conversation channel's history", opened.Context.Recent)
}
