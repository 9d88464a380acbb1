package server_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// refusedSubscribe requires a subscribe of c to channel to be refused
// with code.
func refusedSubscribe(t *testing.T, c *centrifuge.Client, channel string, code uint32, who string) {
	t.Helper()
	s, err := c.NewSubscription(channel, centrifuge.SubscriptionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	w := watchUnsub(s)
	_ = s.Subscribe()
	testkit.Eventually(t, 5*time.Second, func() bool { e, ok := w.last(); return ok && e.Code == code }, "%s: subscribe to %s refused with %d", who, channel, code)
	c.RemoveSubscription(s)
}

// A conversation is private to its user and the agent who claimed it, on
// every path: other users, other agents (before and after the claim), and
// the room's moderators cannot subscribe to it or its typing channel,
// read its history or presence, read its transcript, write in it or send
// typing; a connection token listing it does not subscribe them, nor does
// the server API; nobody publishes into it directly. Only agents follow
// the queue; moderators read the room's support audit log. An agent who
// hands a conversation back loses it at once.
func TestSupportConversationIsPrivate(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "private"
	ada := chatUser(t, node, "ada", nil)
	sam := chatUser(t, node, "sam", agentRoles)
	kim := chatUser(t, node, "kim", agentRoles)
	bob := chatUser(t, node, "bob", nil)
	mia := chatUser(t, node, "mia", modRoles)
	conv := openSupport(t, ada, room, "my card was charged twice")
	ch, typing := wire.SupportChannel(conv.ID), wire.SupportTypingChannel(conv.ID)
	ctx := context.Background()

	outsiders := func(when string, who map[string]*centrifuge.Client) {
		t.Helper()
		for name, c := range who {
			what := name + " " + when
			refusedSubscribe(t, c, ch, wire.CodePermissionDenied, what)
			refusedSubscribe(t, c, typing, wire.CodePermissionDenied, what)
			if _, err := c.History(ctx, ch, centrifuge.WithHistoryLimit(10)); err == nil {
				t.Fatalf("%s read the conversation's history", what)
			}
			if _, err := c.Presence(ctx, ch); err == nil {
				t.Fatalf("%s read the conversation's presence", what)
			}
			wantCode(t, rpc(c, wire.MethodSupportTranscript, wire.SupportIDRequest{ID: conv.ID}, nil), wire.CodePermissionDenied, what+": transcript")
			if err := rpc(c, wire.MethodSupportSend, wire.SupportSendRequest{ID: conv.ID, Text: "hello"}, nil); err == nil {
				t.Fatalf("%s wrote in the conversation", what)
			}
			if err := rpc(c, wire.MethodSupportTyping, wire.SupportIDRequest{ID: conv.ID}, nil); err == nil {
				t.Fatalf("%s sent typing", what)
			}
		}
	}
	outsiders("before the claim", map[string]*centrifuge.Client{"bob": bob, "kim": kim, "sam": sam, "mia": mia})
	mustRPC(t, sam, wire.MethodSupportClaim, wire.SupportIDRequest{ID: conv.ID}, nil)
	outsiders("after sam's claim", map[string]*centrifuge.Client{"bob": bob, "kim": kim, "mia": mia})
	samSub, _ := subscribe(t, sam, ch, centrifuge.SubscriptionConfig{})
	adaSub, _ := subscribe(t, ada, ch, centrifuge.SubscriptionConfig{})

	// A connection token listing the conversation: connected, not in it.
	var mu sync.Mutex
	listed := map[string]bool{}
	tok := node.Mint(auth.MintClaims{User: "bob", TTL: time.Hour, Channels: []string{ch, wire.PersonalChannel("bob")}})
	c := centrifuge.NewJsonClient(node.WSURL, centrifuge.Config{Token: tok})
	c.OnSubscribed(func(e centrifuge.ServerSubscribedEvent) { mu.Lock(); listed[e.Channel] = true; mu.Unlock() })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	testkit.Eventually(t, 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return listed[wire.PersonalChannel("bob")] }, "bob's personal channel subscribed at connect")
	mu.Lock()
	inside := listed[ch]
	mu.Unlock()
	if inside {
		t.Fatal("a token listing someone else's conversation subscribed to it")
	}
	// Subscribing bob through the server API does not get him in either.
	if status := node.API("subscribe", map[string]any{"user": "bob", "channel": ch}, nil); status != http.StatusOK {
		t.Fatalf("API subscribe: %d", status)
	}
	consistently(t, time.Second, func() bool { return !presentIn(t, node, ch, "bob") }, "bob got into ada's conversation through the API")

	// Nobody publishes into the conversation, not its user, not the API.
	if _, err := adaSub.Publish(ctx, []byte(`{"type":"message","text":"forged"}`)); err == nil {
		t.Fatal("a client published into a conversation")
	}
	if status, _ := chatAPI(t, node, "publish", map[string]any{"channel": ch, "data": map[string]string{"type": "message"}}, nil); status != http.StatusForbidden {
		t.Fatalf("API publish into a conversation: %d; want 403", status)
	}

	// The queue is the agents'; the audit log the agents' and moderators'.
	refusedSubscribe(t, bob, wire.SupportQueueChannel, wire.CodePermissionDenied, "bob")
	refusedSubscribe(t, mia, wire.SupportQueueChannel, wire.CodePermissionDenied, "mia")
	wantCode(t, rpc(bob, wire.MethodSupportQueue, struct{}{}, nil), wire.CodePermissionDenied, "bob's support.queue")
	mustRPC(t, kim, wire.MethodSupportQueue, struct{}{}, nil)
	if _, err := mia.History(ctx, wire.SupportAuditChannel(room), centrifuge.WithHistoryLimit(10)); err != nil {
		t.Fatalf("the room's moderator reads its support audit log: %v", err)
	}
	if _, err := bob.History(ctx, wire.SupportAuditChannel(room), centrifuge.WithHistoryLimit(10)); err == nil {
		t.Fatal("bob read the support audit log")
	}

	// Handing it back ends the agent's subscription at once; they cannot
	// come back, while the user stays.
	w := watchUnsub(samSub)
	mustRPC(t, sam, wire.MethodSupportRelease, wire.SupportIDRequest{ID: conv.ID}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool { e, ok := w.last(); return ok && e.Code == wire.UnsubscribeServer }, "sam's subscription ends")
	if err := samSub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { e, ok := w.last(); return ok && e.Code == wire.CodePermissionDenied }, "sam cannot resubscribe")
	if adaSub.State() != centrifuge.SubStateSubscribed {
		t.Fatalf("the user's subscription is %v; want it kept", adaSub.State())
	}
}

// The queue is a projection of the conversations: if a crash lost its
// entry after the conversation's event was stored, the user's next visit
// (support.current) writes it again and the agents see it.
func TestSupportQueueIndexIsRepaired(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	conv := openSupport(t, ada, "repair", "help")
	store := node.Server.Hub().Modules()
	for _, key := range []string{hub.KVKey("conv", conv.ID), hub.KVKey("q", conv.ID)} {
		if err := store.KVDelete(context.Background(), "support", key); err != nil {
			t.Fatal(err)
		}
	}
	if q := queued(t, node); len(q) != 0 {
		t.Fatalf("queue %+v; want it empty after losing the entry", q)
	}
	mustRPC(t, ada, wire.MethodSupportCurrent, struct{}{}, nil)
	if q := queued(t, node); len(q) != 1 || q[0].ID != conv.ID {
		t.Fatalf("queue %+v; want the conversation back", q)
	}
}
