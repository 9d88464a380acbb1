package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// codecs runs a test once with the JSON client and once with Protobuf.
var codecs = []struct {
	name string
	new  func(string, centrifuge.Config) *centrifuge.Client
}{
	{"json", centrifuge.NewJsonClient},
	{"protobuf", centrifuge.NewProtobufClient},
}

// recorder collects a subscription's events for assertions.
type recorder struct {
	mu         sync.Mutex
	pubs       []centrifuge.Publication
	subscribed []centrifuge.SubscribedEvent
	joins      []centrifuge.ClientInfo
	leaves     []centrifuge.ClientInfo
}

func (r *recorder) attach(s *centrifuge.Subscription) {
	s.OnPublication(func(e centrifuge.PublicationEvent) {
		r.mu.Lock()
		r.pubs = append(r.pubs, e.Publication)
		r.mu.Unlock()
	})
	s.OnSubscribed(func(e centrifuge.SubscribedEvent) {
		r.mu.Lock()
		r.subscribed = append(r.subscribed, e)
		r.mu.Unlock()
	})
	s.OnJoin(func(e centrifuge.JoinEvent) {
		r.mu.Lock()
		r.joins = append(r.joins, e.ClientInfo)
		r.mu.Unlock()
	})
	s.OnLeave(func(e centrifuge.LeaveEvent) {
		r.mu.Lock()
		r.leaves = append(r.leaves, e.ClientInfo)
		r.mu.Unlock()
	})
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pubs)
}

func (r *recorder) offsets() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]uint64, len(r.pubs))
	for i, p := range r.pubs {
		out[i] = p.Offset
	}
	return out
}

func (r *recorder) lastSubscribed() (centrifuge.SubscribedEvent, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.subscribed) == 0 {
		return centrifuge.SubscribedEvent{}, 0
	}
	return r.subscribed[len(r.subscribed)-1], len(r.subscribed)
}

func connect(t *testing.T, newClient func(string, centrifuge.Config) *centrifuge.Client, url string, cfg centrifuge.Config) *centrifuge.Client {
	t.Helper()
	c := newClient(url, cfg)
	connected := make(chan struct{}, 1)
	c.OnConnected(func(centrifuge.ConnectedEvent) {
		select {
		case connected <- struct{}{}:
		default:
		}
	})
	if err := c.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	// Returns as soon as it connects; the wait is long because a -race run
	// of every package at once can keep a connect waiting for seconds.
	select {
	case <-connected:
	case <-time.After(30 * time.Second):
		t.Fatal("client did not connect within 30 s")
	}
	t.Cleanup(c.Close)
	return c
}

func subscribe(t *testing.T, c *centrifuge.Client, channel string, cfg centrifuge.SubscriptionConfig) (*centrifuge.Subscription, *recorder) {
	t.Helper()
	s, err := c.NewSubscription(channel, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	r.attach(s)
	if err := s.Subscribe(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() bool { _, n := r.lastSubscribed(); return n > 0 }, "subscribed to %s", channel)
	return s, r
}

func TestClientBasics(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, codec := range codecs {
		t.Run(codec.name, func(t *testing.T) {
			ctx := context.Background()
			ch := "room:basics-" + codec.name
			alice := connect(t, codec.new, node.WSURL, centrifuge.Config{Token: node.Token("alice")})
			sub, rec := subscribe(t, alice, ch, centrifuge.SubscriptionConfig{})
			ev, _ := rec.lastSubscribed()
			if !ev.Recoverable || ev.StreamPosition == nil || ev.StreamPosition.Epoch == "" || ev.StreamPosition.Offset != 0 {
				t.Fatalf("subscribed event = %+v; want recoverable with epoch and offset 0 for a new channel", ev)
			}

			bob := connect(t, codec.new, node.WSURL, centrifuge.Config{Token: node.Token("bob")})
			_, bobRec := subscribe(t, bob, ch, centrifuge.SubscriptionConfig{})
			// Joins go to every subscriber, the joining one included.
			testkit.Eventually(t, 5*time.Second, func() bool {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				return len(rec.joins) == 2 && rec.joins[0].User == "alice" && rec.joins[1].User == "bob"
			}, "alice sees her join, then bob's")

			if _, err := sub.Publish(ctx, []byte(`{"text":"hello"}`)); err != nil {
				t.Fatalf("publish: %v", err)
			}
			for _, r := range []*recorder{rec, bobRec} {
				testkit.Eventually(t, 5*time.Second, func() bool { return r.count() == 1 }, "publication delivered")
				r.mu.Lock()
				p := r.pubs[0]
				r.mu.Unlock()
				if p.Offset != 1 || string(p.Data) != `{"text":"hello"}` || p.Info == nil || p.Info.User != "alice" {
					t.Fatalf("publication = %+v; want offset 1, the data, and alice as publisher", p)
				}
			}

			hist, err := sub.History(ctx, centrifuge.WithHistoryLimit(10))
			if err != nil || len(hist.Publications) != 1 || hist.Offset != 1 {
				t.Fatalf("history = %+v, %v; want one publication at offset 1", hist, err)
			}
			pres, err := sub.Presence(ctx)
			if err != nil || len(pres.Clients) != 2 {
				t.Fatalf("presence = %+v, %v; want 2 clients", pres, err)
			}
			stats, err := sub.PresenceStats(ctx)
			if err != nil || stats.NumClients != 2 || stats.NumUsers != 2 {
				t.Fatalf("presence stats = %+v, %v; want 2 clients, 2 users", stats, err)
			}
			res, err := alice.RPC(ctx, "time", nil)
			if err != nil {
				t.Fatalf("time rpc: %v", err)
			}
			var tm struct{ Time int64 }
			if err := json.Unmarshal(res.Data, &tm); err != nil || abs(time.Now().UnixMilli()-tm.Time) > 5000 {
				t.Fatalf("time rpc = %s, %v; want the server clock in ms", res.Data, err)
			}
			if _, err := alice.RPC(ctx, "no.such.method", nil); !isCode(err, 104) {
				t.Fatalf("unknown method: %v; want error 104", err)
			}
			bob.Close()
			testkit.Eventually(t, 5*time.Second, func() bool {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				return len(rec.leaves) == 1 && rec.leaves[0].User == "bob"
			}, "alice sees bob leave")
		})
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func isCode(err error, code uint32) bool {
	e, ok := err.(*centrifuge.Error)
	return ok && e.Code == code
}

// C12: four cut-and-restore cycles, each with 3 publications during the
// outage; every cycle recovers exactly the missed ones; offsets end
// contiguous with no duplicates.
func TestRecoveryOverRepeatedCuts(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(time.Second)
		c.Client.PongTimeout = config.Duration(500 * time.Millisecond)
	})
	for _, codec := range codecs {
		t.Run(codec.name, func(t *testing.T) {
			ch := "room:cuts-" + codec.name
			cutter := testkit.NewCutter()
			c := connect(t, codec.new, node.WSURL, centrifuge.Config{
				Token: node.Token("carol"), NetDialContext: cutter.Dial,
				MaxServerPingDelay: time.Second, MinReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond,
			})
			_, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
			seq := 0
			publish := func(n int) {
				for i := 0; i < n; i++ {
					seq++
					node.Publish(ch, map[string]int{"seq": seq})
				}
			}
			publish(3)
			testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() == 3 }, "first 3 delivered")
			for cycle := 1; cycle <= 4; cycle++ {
				_, subsBefore := rec.lastSubscribed()
				cutter.Cut()
				publish(3)
				cutter.Restore()
				testkit.Eventually(t, 10*time.Second, func() bool { _, n := rec.lastSubscribed(); return n > subsBefore }, "cycle %d: resubscribed", cycle)
				ev, _ := rec.lastSubscribed()
				if !ev.WasRecovering || !ev.Recovered {
					t.Fatalf("cycle %d: subscribed %+v; want wasRecovering and recovered", cycle, ev)
				}
				publish(1)
				want := seq
				testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() >= want }, "cycle %d: %d publications", cycle, want)
			}
			got := rec.offsets()
			for i, off := range got {
				if off != uint64(i+1) {
					t.Fatalf("offsets %v: position %d has %d; want contiguous 1..%d with no duplicates", got, i, off, seq)
				}
			}
			if len(got) != seq {
				t.Fatalf("got %d publications; want %d", len(got), seq)
			}
		})
	}
}

func TestRecoveredFalseAfterTrim(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		for i := range c.Namespaces {
			if c.Namespaces[i].Name == "room" {
				c.Namespaces[i].HistorySize = 3
			}
		}
	})
	ch := "room:trim"
	// Another subscriber keeps the channel open on the node, so its
	// in-memory window of recent publications stays (it must never serve
	// more than history keeps).
	watcher := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("watcher")})
	subscribe(t, watcher, ch, centrifuge.SubscriptionConfig{})
	cutter := testkit.NewCutter()
	c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{
		Token: node.Token("dave"), NetDialContext: cutter.Dial, MinReconnectDelay: 50 * time.Millisecond,
	})
	_, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
	node.Publish(ch, "one")
	testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() == 1 }, "first publication")
	_, before := rec.lastSubscribed()
	cutter.Cut()
	for i := 0; i < 5; i++ { // 5 missed, history keeps 3
		node.Publish(ch, fmt.Sprint(i))
	}
	cutter.Restore()
	testkit.Eventually(t, 10*time.Second, func() bool { _, n := rec.lastSubscribed(); return n > before }, "resubscribed")
	ev, _ := rec.lastSubscribed()
	if !ev.WasRecovering || ev.Recovered {
		t.Fatalf("subscribed %+v; want wasRecovering and not recovered (history keeps 3, 5 were missed)", ev)
	}
	if n := rec.count(); n != 1 {
		t.Fatalf("got %d publications; an unrecovered resubscribe must deliver none of the missed ones", n)
	}
}
