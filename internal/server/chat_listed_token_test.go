package server_test

import (
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestTokenChannelListLimitsChatAndSupport: a token listing its channels
// allows nothing else (docs/protocol.md), yet the chat and support methods,
// which write into channels of their own, took no notice: a token for one
// room:… channel posted in the lobby chat and opened support
// conversations. A chat method now needs its room's chat:<room> listed,
// and support (whose channels no token can list) is refused.
func TestTokenChannelListLimitsChatAndSupport(t *testing.T) {
	node := testkit.Start(t, nil)
	scoped := chatUser(t, node, "alice", nil, "room:orders", "chat:listed")
	err := rpc(scoped, wire.MethodChatSend, wire.ChatSendRequest{Room: "lobby", Text: "scoped hi"}, nil)
	wantCode(t, err, wire.CodePermissionDenied, "chat.send to a room whose channel the token does not list")
	err = rpc(scoped, wire.MethodChatState, wire.ChatRoomRequest{Room: "lobby"}, nil)
	wantCode(t, err, wire.CodePermissionDenied, "chat.state of a room whose channel the token does not list")
	err = rpc(scoped, wire.MethodSupportOpen, wire.SupportOpenRequest{Room: "listed", Text: "help"}, nil)
	wantCode(t, err, wire.CodePermissionDenied, "support.open with a token that lists its channels")

	var sent wire.ChatSendResult
	mustRPC(t, scoped, wire.MethodChatSend, wire.ChatSendRequest{Room: "listed", Text: "in my room"}, &sent)
	if sent.Status != wire.StatusPublished {
		t.Fatalf("chat.send to the listed room: %+v; want published", sent)
	}
	// A token without a list is not limited.
	free := chatUser(t, node, "bob", nil)
	mustRPC(t, free, wire.MethodChatSend, wire.ChatSendRequest{Room: "lobby", Text: "hello"}, nil)
}
