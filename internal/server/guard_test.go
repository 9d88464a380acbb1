package server_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A namespace guard is asked on every path into its channels, with who is
// asking and how: client subscribe, publish, history, presence; the
// connection token's channel list; the server API's publish, history,
// presence and subscribe. Its refusal reaches the caller as is.
func TestGuardIsAskedOnEveryPath(t *testing.T) {
	node := testkit.Start(t, nil)
	var mu sync.Mutex
	var asked []hub.Access
	node.Server.Hub().GuardNamespace("room", func(_ context.Context, a hub.Access) *wire.Error {
		mu.Lock()
		asked = append(asked, a)
		mu.Unlock()
		if a.Channel == "room:closed" {
			return wire.Errorf(1099, false, "closed for %s (%s)", a.User, a.Op)
		}
		return nil
	})
	count := func(op hub.AccessOp, server bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range asked {
			if a.Op == op && a.Server == server && a.Channel == "room:closed" && (server || a.User == "eve" && a.Client != "") {
				n++
			}
		}
		return n
	}

	eve := chatUser(t, node, "eve", wire.Roles{"*": {"agent"}})
	s, err := eve.NewSubscription("room:closed", centrifuge.SubscriptionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	w := watchUnsub(s)
	_ = s.Subscribe()
	testkit.Eventually(t, 5*time.Second, func() bool {
		e, ok := w.last()
		return ok && e.Code == 1099 && e.Reason == "closed for eve (subscribe)"
	}, "the subscribe refusal reaches the client")
	ctx := context.Background()
	if _, err := eve.Publish(ctx, "room:closed", []byte(`{}`)); err == nil {
		t.Fatal("publish passed a refusing guard")
	}
	wantCode(t, func() error { _, err := eve.History(ctx, "room:closed"); return err }(), 1099, "history")
	wantCode(t, func() error { _, err := eve.Presence(ctx, "room:closed"); return err }(), 1099, "presence")
	mu.Lock()
	roles := asked[0].Roles
	mu.Unlock()
	if got := roles.For("room:closed"); len(got) != 1 || got[0] != "agent" {
		t.Fatalf("the guard saw roles %v; want the token's", roles)
	}

	for _, m := range []string{"publish", "history", "presence"} {
		body := map[string]any{"channel": "room:closed", "data": map[string]int{"x": 1}}
		if m != "publish" {
			delete(body, "data")
		}
		if status, _ := chatAPI(t, node, m, body, nil); status != http.StatusBadRequest {
			t.Fatalf("API %s: %d; want the guard's refusal (400 for code 1099)", m, status)
		}
	}
	if status := node.API("subscribe", map[string]any{"user": "eve", "channel": "room:closed"}, nil); status != http.StatusOK {
		t.Fatalf("API subscribe: %d", status)
	}
	// A connection whose token lists the channel.
	var listedMu sync.Mutex
	listed := map[string]bool{}
	lc := centrifuge.NewJsonClient(node.WSURL, centrifuge.Config{Token: node.Token("eve", "room:closed", "room:open")})
	lc.OnSubscribed(func(e centrifuge.ServerSubscribedEvent) { listedMu.Lock(); listed[e.Channel] = true; listedMu.Unlock() })
	if err := lc.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.Close)
	testkit.Eventually(t, 5*time.Second, func() bool { listedMu.Lock(); defer listedMu.Unlock(); return listed["room:open"] }, "the allowed listed channel subscribed")
	testkit.Eventually(t, 5*time.Second, func() bool {
		return count(hub.AccessSubscribe, false) >= 3 && count(hub.AccessPublish, false) == 1 && count(hub.AccessRead, false) == 2 &&
			count(hub.AccessPublish, true) == 1 && count(hub.AccessRead, true) == 2
	}, "the guard was asked on every path")
	listedMu.Lock()
	defer listedMu.Unlock()
	if listed["room:closed"] {
		t.Fatal("the token's channel list subscribed past the guard")
	}
}

// The guard is asked again once a subscription exists: what it refuses by
// then (a ban decided while the subscription was being set up) ends the
// subscription with the guard's reason.
func TestGuardEndsASubscriptionRefusedWhileItWasSetUp(t *testing.T) {
	node := testkit.Start(t, nil)
	var calls atomic.Int32
	node.Server.Hub().GuardNamespace("room", func(_ context.Context, a hub.Access) *wire.Error {
		if a.Op == hub.AccessSubscribe && a.Channel == "room:race" && calls.Add(1) > 1 {
			return wire.Errorf(wire.CodeChatBanned, false, "banned meanwhile")
		}
		return nil
	})
	c := chatUser(t, node, "zed", nil)
	s, err := c.NewSubscription("room:race", centrifuge.SubscriptionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	w := watchUnsub(s)
	_ = s.Subscribe()
	testkit.Eventually(t, 5*time.Second, func() bool {
		e, ok := w.last()
		return ok && e.Code == wire.UnsubscribeServer && e.Reason == "banned meanwhile"
	}, "the subscription ends with the guard's reason")
	if calls.Load() != 2 {
		t.Fatalf("guard asked %d times for one subscribe; want before and after joining", calls.Load())
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return !presentIn(t, node, "room:race", "zed") }, "zed left presence")
}
