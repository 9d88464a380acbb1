package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/config"
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

// Revoking a granted moderator ends their moderation channel and the
// room's audit log on every connection, on every node, while a user whose
// token gives them the role keeps them when a role granted in the room is
// revoked.
func TestChatRevokeEndsModeratorChannelsOnEveryNode(t *testing.T) {
	natsURL := testkit.StartNATS(t)
	dir := t.TempDir() // shared: both nodes use the same generated secrets
	start := func(name string) *testkit.Node {
		return testkit.Start(t, func(c *config.Config) { c.NATSURL, c.NodeName, c.DataDir = natsURL, name, dir })
	}
	a, b := start("node-a"), start("node-b")
	const room = "revoked"
	olga := chatUser(t, a, "olga", wire.Roles{wire.ChatChannel(room): {wire.RoleOwner}})
	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActGrant, User: "max", Role: wire.RoleModerator}, nil)
	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActGrant, User: "tom", Role: wire.RoleOwner}, nil)

	var ends []*unsubWatch
	var rooms []*centrifuge.Subscription
	for _, node := range []*testkit.Node{a, b} {
		maxc := chatUser(t, node, "max", nil)
		rs, _ := subscribe(t, maxc, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
		rooms = append(rooms, rs)
		for _, ch := range []string{wire.ChatModChannel(room), wire.ChatAuditChannel(room)} {
			s, _ := subscribe(t, maxc, ch, centrifuge.SubscriptionConfig{})
			ends = append(ends, watchUnsub(s))
		}
	}
	tom := chatUser(t, b, "tom", modRoles)
	tomSub, tomRec := subscribe(t, tom, wire.ChatModChannel(room), centrifuge.SubscriptionConfig{})

	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActRevoke, User: "tom", Role: wire.RoleOwner}, nil)
	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActRevoke, User: "max", Role: wire.RoleModerator}, nil)
	for i, w := range ends {
		endedByServer(t, w, []string{"node-a", "node-b"}[i/2]+": max's "+[]string{"moderation channel", "audit log"}[i%2])
	}
	for _, s := range rooms {
		if s.State() != centrifuge.SubStateSubscribed {
			t.Fatalf("max's room channel is %v after the revoke; want it kept", s.State())
		}
	}
	consistently(t, time.Second, func() bool { return tomSub.State() == centrifuge.SubStateSubscribed },
		"tom, a moderator by token, lost the moderation channel when his room role was revoked")

	// Reports keep reaching the moderators who still are.
	bob := chatUser(t, a, "bob", nil)
	mustRPC(t, olga, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "hello", CID: "olga-1"}, nil) // reports name users the room has seen
	mustRPC(t, bob, wire.MethodChatReport, wire.ChatReportRequest{Room: room, User: "olga", Reason: "rude"}, nil)
	testkit.Eventually(t, 10*time.Second, func() bool {
		return hasEvent(tomRec, func(ev wire.ChatEvent) bool { return ev.Type == wire.EventReport })
	}, "tom receives the report")
}

// A banned moderator loses the room's audit log too, not only its room
// and moderation channels.
func TestChatBanEndsAuditLog(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "banaudit"
	olga := chatUser(t, node, "olga", wire.Roles{wire.ChatChannel(room): {wire.RoleOwner}})
	maxc := chatUser(t, node, "max", modRoles)
	s, _ := subscribe(t, maxc, wire.ChatAuditChannel(room), centrifuge.SubscriptionConfig{})
	w := watchUnsub(s)
	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActBan, User: "max"}, nil)
	endedByServer(t, w, "the banned moderator's audit log")
}

// An agent whose token is refreshed without the agent role loses the
// queue (users' first messages) and the conversation they claimed, at
// once.
func TestSupportRefreshWithoutAgentRoleEndsChannels(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	conv := openSupport(t, ada, "lobby", "my stream froze")
	sam, release := refreshingUser(t, node, "sam", agentRoles, nil)
	mustRPC(t, sam, wire.MethodSupportClaim, wire.SupportIDRequest{ID: conv.ID}, nil)
	qs, _ := subscribe(t, sam, wire.SupportQueueChannel, centrifuge.SubscriptionConfig{})
	cs, _ := subscribe(t, sam, wire.SupportChannel(conv.ID), centrifuge.SubscriptionConfig{})
	ts, _ := subscribe(t, sam, wire.SupportTypingChannel(conv.ID), centrifuge.SubscriptionConfig{})
	wq, wc, wt := watchUnsub(qs), watchUnsub(cs), watchUnsub(ts)

	release()
	endedByServer(t, wq, "the queue")
	endedByServer(t, wc, "the conversation")
	endedByServer(t, wt, "the conversation's typing channel")
	wantCode(t, rpc(sam, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "still here"}, nil),
		wire.CodePermissionDenied, "support.send without the agent role")
}

// Writing in a conversation as its agent needs the agent role at the
// time of the call, not only at the claim: a connection of the same user
// without it is refused, like support.queue refuses it.
func TestSupportSendNeedsAgentRoleNow(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	conv := openSupport(t, ada, "lobby", "help")
	sam := chatUser(t, node, "sam", agentRoles)
	mustRPC(t, sam, wire.MethodSupportClaim, wire.SupportIDRequest{ID: conv.ID}, nil)
	mustRPC(t, sam, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "hello, I am here"}, nil)

	former := chatUser(t, node, "sam", nil)
	wantCode(t, rpc(former, wire.MethodSupportQueue, struct{}{}, nil), wire.CodePermissionDenied, "support.queue without the role")
	for _, c := range []struct {
		method string
		req    any
	}{
		{wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "not an agent any more"}},
		{wire.MethodSupportTyping, wire.SupportIDRequest{ID: conv.ID}},
		{wire.MethodSupportTranscript, wire.SupportIDRequest{ID: conv.ID}},
		{wire.MethodSupportResolve, wire.SupportResolveRequest{ID: conv.ID, Outcome: wire.OutcomeSolved}},
	} {
		wantCode(t, rpc(former, c.method, c.req, nil), wire.CodePermissionDenied, c.method+" without the agent role")
	}
	refusedSubscribe(t, former, wire.SupportChannel(conv.ID), wire.CodePermissionDenied, "sam without the role")
	if _, err := former.History(context.Background(), wire.SupportChannel(conv.ID), centrifuge.WithHistoryLimit(10)); err == nil {
		t.Fatal("a user without the agent role read the conversation's history")
	}
}
