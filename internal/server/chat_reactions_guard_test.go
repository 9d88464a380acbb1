package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestBannedAndTimedOutUsersFloatNoReactions: floating reactions
// (reactions:<room>) went straight to the channel, so a user banned from
// the chat room, or timed out, kept floating emoji over everyone's screen.
// They are refused with the chat's own codes and reasons, on every node
// within a second of the moderator's action; others, and the user once
// the ban is lifted, react as before.
func TestBannedAndTimedOutUsersFloatNoReactions(t *testing.T) {
	node := testkit.Start(t, nil)
	mod := chatUser(t, node, "mia", modRoles)
	troll := chatUser(t, node, "troll", nil)
	fan := chatUser(t, node, "fan", nil)
	const room = "stage"
	channel := "reactions:" + room
	react := func(c *centrifuge.Client) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.Publish(ctx, channel, []byte(`{"emoji":"🔥"}`))
		return err
	}
	moderate := func(action string, seconds int) {
		mustRPC(t, mod, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: action, User: "troll", Seconds: seconds, Reason: "spam"}, nil)
	}
	// refusedWith polls until the troll's reaction is refused with code:
	// each node reads the room's rules again at most once a second.
	refusedWith := func(code uint32, what string) {
		t.Helper()
		var last error
		testkit.Eventually(t, 10*time.Second, func() bool {
			last = react(troll)
			var e *centrifuge.Error
			// Polling meets the namespace's publish rate (111): go on.
			return last != nil && !(errors.As(last, &e) && e.Code == wire.CodeTooManyRequests)
		}, "%s", what)
		wantCode(t, last, code, what)
	}

	if err := react(troll); err != nil {
		t.Fatalf("a reaction before any moderation: %v", err)
	}
	moderate(wire.ActBan, 0)
	refusedWith(wire.CodeChatBanned, "a banned user's reaction")
	if err := react(fan); err != nil {
		t.Fatalf("another user's reaction in the same room: %v", err)
	}
	// A reaction is small: 64 KiB ones at 10/s would push 640 KB/s to
	// every viewer.
	big := `{"emoji":"🔥","pad":"` + strings.Repeat("x", 600) + `"}`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err := fan.Publish(ctx, channel, []byte(big))
	cancel()
	wantCode(t, err, wire.CodeLimitExceeded, "a 600-byte reaction")
	moderate(wire.ActUnban, 0)
	testkit.Eventually(t, 10*time.Second, func() bool { return react(troll) == nil }, "a reaction after the ban is lifted")
	moderate(wire.ActTimeout, 600)
	refusedWith(wire.CodeChatTimedOut, "a timed-out user's reaction")
}
