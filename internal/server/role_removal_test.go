package server_test

import (
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// refreshingUser connects user with a short-lived token carrying roles.
// When it runs out the client refreshes it (the protocol's refresh
// command) with a token carrying later instead, once the test calls the
// returned release: until then the refresh waits, so the test can set
// up subscriptions under the first token.
func refreshingUser(t *testing.T, node *testkit.Node, user string, roles, later wire.Roles) (*centrifuge.Client, func()) {
	t.Helper()
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	first := node.Mint(auth.MintClaims{User: user, Name: user, TTL: 3 * time.Second, Roles: roles})
	c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{
		Token: first,
		GetToken: func(centrifuge.ConnectionTokenEvent) (string, error) {
			<-release
			return node.Mint(auth.MintClaims{User: user, Name: user, TTL: time.Hour, Roles: later}), nil
		},
	})
	t.Cleanup(open) // runs before the client's Close (cleanups run last first)
	return c, open
}

// endedByServer waits for w's subscription to be ended by the server
// (unsubscribe 2000).
func endedByServer(t *testing.T, w *unsubWatch, what string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() bool {
		e, ok := w.last()
		return ok && e.Code == wire.UnsubscribeServer
	}, "%s ends (unsubscribe %d)", what, wire.UnsubscribeServer)
}

// A moderator whose token is refreshed without the role loses the room's
// moderation channel and audit log at once (they name reporters and
// shadow-bans); the room channel, which anyone may read, stays. They
// cannot subscribe to them again.
func TestRefreshWithoutRolesEndsModeratorChannels(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "demoted"
	mia, release := refreshingUser(t, node, "mia", modRoles, nil)
	roomSub, _ := subscribe(t, mia, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
	modSub, _ := subscribe(t, mia, wire.ChatModChannel(room), centrifuge.SubscriptionConfig{})
	auditSub, _ := subscribe(t, mia, wire.ChatAuditChannel(room), centrifuge.SubscriptionConfig{})
	wm, wa := watchUnsub(modSub), watchUnsub(auditSub)

	release()
	endedByServer(t, wm, "the moderation channel")
	endedByServer(t, wa, "the audit log")
	if roomSub.State() != centrifuge.SubStateSubscribed {
		t.Fatalf("the room channel is %v after the refresh; want it kept", roomSub.State())
	}
	for _, x := range []struct {
		s *centrifuge.Subscription
		w *unsubWatch
	}{{modSub, wm}, {auditSub, wa}} {
		if err := x.s.Subscribe(); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 10*time.Second, func() bool { e, ok := x.w.last(); return ok && e.Code == wire.CodePermissionDenied },
			"resubscribing to %s without the role is refused with 103", x.s.Channel)
	}
}

// A refresh that keeps the role keeps the subscriptions it allows.
func TestRefreshKeepingRolesKeepsModeratorChannels(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "kept"
	more := wire.Roles{"chat:*": {wire.RoleModerator}, wire.ChatChannel(room): {wire.RoleOwner}}
	mia, release := refreshingUser(t, node, "mia", modRoles, more)
	modSub, _ := subscribe(t, mia, wire.ChatModChannel(room), centrifuge.SubscriptionConfig{})
	w := watchUnsub(modSub)
	release()
	// The refresh is done once chat.state shows the new token's roles:
	// a connection's commands run in order, and the refresh checks its
	// subscriptions before it answers.
	testkit.Eventually(t, 10*time.Second, func() bool {
		var st wire.ChatState
		mustRPC(t, mia, wire.MethodChatState, wire.ChatRoomRequest{Room: room}, &st)
		return wire.HasRole(st.Me.Roles, wire.RoleOwner)
	}, "the refresh gives mia the owner role")
	if e, ended := w.last(); ended || modSub.State() != centrifuge.SubStateSubscribed {
		t.Fatalf("the moderation channel is %v (unsubscribe %+v) after a refresh that keeps the role", modSub.State(), e)
	}
}
