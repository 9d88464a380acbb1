package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A ban holds on every way a user can act in a room: both of their open
// connections lose the room's subscriptions at once (room and typing
// channels), every chat method is refused on the connection that was
// open before the ban, resubscribing and reconnecting are refused, a
// connection token listing the room does not subscribe it, history is
// refused, the server API acting for them is refused, and subscribing
// them through the server API does not get them in. Unbanning lets them
// back.
func TestChatBanHoldsOnEveryPath(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "ban"
	ch := wire.ChatChannel(room)
	mia := chatUser(t, node, "mia", modRoles)
	bob1 := chatUser(t, node, "bob", nil)
	bob2 := chatUser(t, node, "bob", nil) // opened before the ban
	s1, _ := subscribe(t, bob1, ch, centrifuge.SubscriptionConfig{})
	s2, _ := subscribe(t, bob2, ch, centrifuge.SubscriptionConfig{})
	st, _ := subscribe(t, bob2, wire.TypingChannel(room), centrifuge.SubscriptionConfig{})
	_, personal := subscribe(t, bob1, wire.PersonalChannel("bob"), centrifuge.SubscriptionConfig{})
	w1, w2, wt := watchUnsub(s1), watchUnsub(s2), watchUnsub(st)

	var before wire.ChatSendResult
	mustRPC(t, bob2, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "before the ban"}, &before)
	var theirs wire.ChatSendResult
	mustRPC(t, mia, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "a moderator speaks"}, &theirs)

	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActBan, User: "bob", Reason: "spam"}, nil)

	testkit.Eventually(t, 5*time.Second, func() bool {
		_, a := w1.last()
		_, b := w2.last()
		_, c := wt.last()
		return a && b && c
	}, "both connections' room and typing subscriptions end")
	if e, _ := w1.last(); !strings.Contains(e.Reason, `banned from chat room "ban" by a moderator`) {
		t.Fatalf("the banned subscription ended with %d %q; want the reason to say it was a ban", e.Code, e.Reason)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		for _, n := range notices(personal) {
			if n.Kind == wire.NoticeBan && n.Room == room && n.Reason == "spam" {
				return true
			}
		}
		return false
	}, "bob is told he is banned, and why")

	calls := []struct {
		method string
		req    any
	}{
		{wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "let me in"}},
		{wire.MethodChatEdit, wire.ChatEditRequest{Room: room, ID: before.ID, Text: "edited"}},
		{wire.MethodChatDelete, wire.ChatDeleteRequest{Room: room, ID: before.ID}},
		{wire.MethodChatReact, wire.ChatReactRequest{Room: room, ID: theirs.ID, Emoji: "🔥", On: true}},
		{wire.MethodChatReport, wire.ChatReportRequest{Room: room, User: "mia", Reason: "revenge"}},
		{wire.MethodChatTyping, wire.ChatRoomRequest{Room: room}},
	}
	for _, c := range calls {
		wantCode(t, rpc(bob2, c.method, c.req, nil), wire.CodeChatBanned, c.method+" from a connection opened before the ban")
	}

	// Resubscribing on an open connection, and on a new one, is refused.
	if err := s1.Subscribe(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		e, ok := w1.last()
		return ok && e.Code == wire.CodeChatBanned
	}, "resubscribing is refused with 1005")
	bob3 := chatUser(t, node, "bob", nil)
	s3, err := bob3.NewSubscription(ch, centrifuge.SubscriptionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	w3 := watchUnsub(s3)
	_ = s3.Subscribe()
	testkit.Eventually(t, 5*time.Second, func() bool {
		e, ok := w3.last()
		return ok && e.Code == wire.CodeChatBanned && strings.Contains(e.Reason, "banned")
	}, "a new connection's subscribe is refused with the reason")
	if _, err := bob3.History(context.Background(), ch, centrifuge.WithHistoryLimit(10)); err == nil {
		t.Fatal("a banned user read the room's history")
	}

	// A connection token listing the room: connected, but not subscribed
	// to it (the personal channel it also lists is).
	var listedMu sync.Mutex
	listed := map[string]bool{}
	bob4 := node.Mint(auth.MintClaims{User: "bob", TTL: time.Hour, Channels: []string{ch, wire.PersonalChannel("bob")}})
	c4 := centrifuge.NewJsonClient(node.WSURL, centrifuge.Config{Token: bob4})
	c4.OnSubscribed(func(e centrifuge.ServerSubscribedEvent) { listedMu.Lock(); listed[e.Channel] = true; listedMu.Unlock() })
	connected := make(chan struct{}, 1)
	c4.OnConnected(func(centrifuge.ConnectedEvent) { connected <- struct{}{} })
	if err := c4.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c4.Close)
	<-connected
	testkit.Eventually(t, 5*time.Second, func() bool { listedMu.Lock(); defer listedMu.Unlock(); return listed[wire.PersonalChannel("bob")] }, "the personal channel subscribed at connect")
	listedMu.Lock()
	inRoom := listed[ch]
	listedMu.Unlock()
	if inRoom {
		t.Fatal("a banned user's token channel list subscribed them to the room")
	}

	// The server API acting for bob is refused the same way.
	status, werr := chatAPI(t, node, "chat_send", map[string]any{"room": room, "as": "bob", "text": "via the backend"}, nil)
	if status != http.StatusForbidden || werr.Code != wire.CodeChatBanned {
		t.Fatalf("chat_send as bob: %d %+v; want 403 with 1005", status, werr)
	}

	// Subscribing bob through the server API does not get him in: his
	// connections stay out of the room's presence.
	if status := node.API("subscribe", map[string]any{"user": "bob", "channel": ch}, nil); status != http.StatusOK {
		t.Fatalf("API subscribe: %d", status)
	}
	consistently(t, time.Second, func() bool { return !presentIn(t, node, ch, "bob") }, "bob subscribed through the API while banned")

	// Unbanned, he is back.
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActUnban, User: "bob"}, nil)
	mustRPC(t, bob2, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "thanks"}, nil)
	if err := s2.Subscribe(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return s2.State() == centrifuge.SubStateSubscribed }, "resubscribed after the unban")
}

// A banned moderator loses the room's private moderation channel too, at
// once, and cannot come back to it.
func TestChatBanEndsPrivateChannels(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "modban"
	olga := chatUser(t, node, "olga", map[string][]string{"chat:" + room: {wire.RoleOwner}})
	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActGrant, User: "max", Role: wire.RoleModerator}, nil)
	maxc := chatUser(t, node, "max", nil)
	sm, _ := subscribe(t, maxc, wire.ChatModChannel(room), centrifuge.SubscriptionConfig{})
	wm := watchUnsub(sm)
	bob := chatUser(t, node, "bob", nil)
	sb, err := bob.NewSubscription(wire.ChatModChannel(room), centrifuge.SubscriptionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	wb := watchUnsub(sb)
	_ = sb.Subscribe()
	testkit.Eventually(t, 5*time.Second, func() bool { e, ok := wb.last(); return ok && e.Code == wire.CodePermissionDenied },
		"a user who is not a moderator cannot follow the moderation channel")

	mustRPC(t, olga, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActBan, User: "max"}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool { _, ok := wm.last(); return ok }, "the banned moderator's moderation channel ends")
	_ = sm.Subscribe()
	testkit.Eventually(t, 5*time.Second, func() bool { e, ok := wm.last(); return ok && e.Code == wire.CodePermissionDenied },
		"and cannot be subscribed again")
	wantCode(t, rpc(maxc, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActClear}, nil),
		wire.CodePermissionDenied, "a banned moderator moderating")
}

// A timeout refuses every way of writing (with why and until when) on
// every connection and through the server API, but the user keeps
// reading; lifting it lets them write again.
func TestChatTimeoutHoldsOnEveryPath(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "timeout"
	mia := chatUser(t, node, "mia", modRoles)
	ada1 := chatUser(t, node, "ada", nil)
	ada2 := chatUser(t, node, "ada", nil)
	_, reading := subscribe(t, ada1, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
	_, personal := subscribe(t, ada2, wire.PersonalChannel("ada"), centrifuge.SubscriptionConfig{})
	var mine wire.ChatSendResult
	mustRPC(t, ada1, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "hi"}, &mine)

	start := time.Now()
	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActTimeout, User: "ada", Seconds: 600, Reason: "cool off"}, nil)
	var n wire.ChatNotice
	testkit.Eventually(t, 5*time.Second, func() bool {
		for _, x := range notices(personal) {
			if x.Kind == wire.NoticeTimeout {
				n = x
				return true
			}
		}
		return false
	}, "ada is told she is timed out")
	if until := time.UnixMilli(n.Until); n.Reason != "cool off" || until.Before(start.Add(599*time.Second)) || until.After(time.Now().Add(601*time.Second)) {
		t.Fatalf("notice %+v; want the reason and an end 10 min from now", n)
	}
	for _, c := range []*centrifuge.Client{ada1, ada2} {
		e := wantCode(t, rpc(c, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "still here"}, nil), wire.CodeChatTimedOut, "send while timed out")
		if !e.Temporary || !strings.Contains(e.Message, "you can write again in 10 min") || !strings.Contains(e.Message, "UTC") {
			t.Fatalf("timeout refusal %+v; want a temporary error saying until when", e)
		}
	}
	wantCode(t, rpc(ada2, wire.MethodChatReact, wire.ChatReactRequest{Room: room, ID: mine.ID, Emoji: "👏", On: true}, nil), wire.CodeChatTimedOut, "react")
	wantCode(t, rpc(ada2, wire.MethodChatEdit, wire.ChatEditRequest{Room: room, ID: mine.ID, Text: "x"}, nil), wire.CodeChatTimedOut, "edit")
	wantCode(t, rpc(ada2, wire.MethodChatTyping, wire.ChatRoomRequest{Room: room}, nil), wire.CodeChatTimedOut, "typing")
	status, werr := chatAPI(t, node, "chat_send", map[string]any{"room": room, "as": "ada", "text": "via the backend"}, nil)
	if status != http.StatusForbidden || werr.Code != wire.CodeChatTimedOut {
		t.Fatalf("chat_send as ada: %d %+v; want 403 with 1004", status, werr)
	}
	ada3 := chatUser(t, node, "ada", nil) // a reconnect
	wantCode(t, rpc(ada3, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "new connection"}, nil), wire.CodeChatTimedOut, "send after reconnecting")
	var st wire.ChatState
	mustRPC(t, ada3, wire.MethodChatState, wire.ChatRoomRequest{Room: room}, &st)
	if st.Me.Until != n.Until {
		t.Fatalf("state %+v; want timeout_until %d", st.Me, n.Until)
	}

	// Still reading: a moderator's message reaches her.
	mustRPC(t, mia, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "you can still read this"}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool {
		return hasEvent(reading, func(ev wire.ChatEvent) bool { return ev.Text == "you can still read this" })
	}, "a timed-out user keeps reading")

	mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActUntimeout, User: "ada"}, nil)
	mustRPC(t, ada2, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "back"}, nil)
}
