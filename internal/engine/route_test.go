package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// On a single node a channel's subscription is a route: no NATS
// subscription of its own, and publications still arrive, in order, to
// every registration of the subject until it stops.
func TestSingleNodeChannelsShareWildcardSubscriptions(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	if !e.singleNode() {
		t.Fatal("an embedded engine without routes or leaf links is not a single node")
	}
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	ctx := context.Background()
	before := e.nc.NumSubscriptions()
	const channels = 200
	var subs []Subscription
	for i := 0; i < channels; i++ {
		s, err := e.Deliveries(ctx, Ref("room", fmt.Sprintf("room:%d", i)), func(Delivery) {})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	if n := e.nc.NumSubscriptions(); n != before {
		t.Fatalf("%d channels added %d NATS subscriptions; want 0 (routes)", channels, n-before)
	}

	ch := Ref("room", "room:shared")
	first, second := make(chan Delivery, 100), make(chan Delivery, 100)
	s1, err := e.Deliveries(ctx, ch, func(d Delivery) { first <- d })
	if err != nil {
		t.Fatal(err)
	}
	s2, err := e.Deliveries(ctx, ch, func(d Delivery) { second <- d })
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	for i := 0; i < 10; i++ {
		if _, err := e.Publish(ctx, ch, []byte{byte(i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	for name, got := range map[string]chan Delivery{"first": first, "second": second} {
		for i := 0; i < 10; i++ {
			select {
			case d := <-got:
				if d.Offset != uint64(i+1) {
					t.Fatalf("%s registration: delivery %d has offset %d; want %d", name, i, d.Offset, i+1)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s registration: delivery %d did not arrive", name, i)
			}
		}
	}

	// Stopping one registration leaves the other one served.
	s1.Stop()
	if _, err := e.Publish(ctx, ch, []byte("after"), ""); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-second:
		if d.Offset != 11 {
			t.Fatalf("after stopping the first: offset %d; want 11", d.Offset)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second registration stopped receiving when the first stopped")
	}
	// A stopped route is gone from the table (a delivery to it could be
	// queued on the shard when Stop ran, so the table is what is checked).
	e.dispatch.mu.RLock()
	n := len(e.dispatch.routes[ch.outSubject()])
	e.dispatch.mu.RUnlock()
	if n != 1 {
		t.Fatalf("%d registrations left for the subject; want 1", n)
	}
	for _, s := range subs {
		s.Stop()
	}
	e.dispatch.mu.RLock()
	left := len(e.dispatch.routes)
	e.dispatch.mu.RUnlock()
	if left != 1 {
		t.Fatalf("%d subjects routed after stopping all but one; want 1", left)
	}
}

// Ephemeral subjects (presence events, channels without history) are
// routed too.
func TestSingleNodeRoutesEphemeralDeliveries(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ctx := context.Background()
	ch := Ref("chat", "chat:x")
	got := make(chan string, 1)
	before := e.nc.NumSubscriptions()
	s, err := e.EphemeralDeliveries(ctx, ch, KindPresence, func(b []byte) { got <- string(b) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if n := e.nc.NumSubscriptions(); n != before {
		t.Fatalf("an ephemeral subscription added %d NATS subscriptions; want 0", n-before)
	}
	if err := e.PublishEphemeral(ch, KindPresence, []byte("join")); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if b != "join" {
			t.Fatalf("got %q; want join", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ephemeral delivery did not arrive")
	}
}

// Any link to other servers keeps the per-channel subscriptions, which
// are what keep a node from receiving every channel's traffic.
func TestSingleNodeOnlyWithoutLinks(t *testing.T) {
	cases := []struct {
		cfg  Config
		want bool
	}{
		{Config{}, true},
		{Config{NATSURL: "nats://127.0.0.1:4222"}, false},
		{Config{ClusterListen: "127.0.0.1:6222"}, false},
		{Config{Routes: []string{"nats-route://10.0.0.2:6222"}}, false},
		{Config{LeafListen: "127.0.0.1:7422"}, false},
		{Config{Edge: "nats-leaf://core:7422"}, false},
	}
	for _, c := range cases {
		if got := (&Engine{cfg: c.cfg}).singleNode(); got != c.want {
			t.Errorf("singleNode(%+v) = %v; want %v", c.cfg, got, c.want)
		}
	}
}
