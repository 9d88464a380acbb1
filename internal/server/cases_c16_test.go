package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C16: one connection subscribes to a channel twice — in sequence, in one
// frame, from two goroutines at once — or subscribes, unsubscribes and
// subscribes again without waiting. The documented choice: the second
// subscribe is refused with 105 "already subscribed". Either way the
// server holds one subscription, m1–m10 are delivered exactly once, and
// after one unsubscribe nothing more is delivered.
func TestC16SubscribeTwice(t *testing.T) {
	node := testkit.Start(t, nil)
	h := node.Server.Hub()
	wit := dialP(t, node.WSURL) // sees every publication, to know when fan-out is done
	wit.connect(node.Token("witness"))

	okSub := func(rep *protocol.Reply) bool { return rep.Error == nil && rep.Subscribe != nil }
	isDup := func(rep *protocol.Reply) bool {
		return rep.Error != nil && rep.Error.Code == 105 && rep.Subscribe == nil
	}
	oneOfEach := func(t *testing.T, a, b *protocol.Reply) {
		t.Helper()
		if !(okSub(a) && isDup(b) || isDup(a) && okSub(b)) {
			t.Fatalf("replies %+v and %+v; want one success and one 105", a, b)
		}
	}
	for _, tc := range []struct {
		name  string
		dance func(t *testing.T, c *pclient, ch string)
	}{
		{"in sequence", func(t *testing.T, c *pclient, ch string) {
			if rep := c.call(subCmd(ch)); !okSub(rep) {
				t.Fatalf("first subscribe: %+v", rep)
			}
			if rep := c.call(subCmd(ch)); !isDup(rep) {
				t.Fatalf("second subscribe: %+v; want 105 already subscribed", rep)
			}
		}},
		{"in one frame", func(t *testing.T, c *pclient, ch string) {
			a, b := subCmd(ch), subCmd(ch)
			if err := c.send(a, b); err != nil {
				t.Fatal(err)
			}
			oneOfEach(t, c.reply(a.Id), c.reply(b.Id))
		}},
		{"concurrently", func(t *testing.T, c *pclient, ch string) {
			a, b := subCmd(ch), subCmd(ch)
			a.Id, b.Id = c.id(), c.id()
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for _, cmd := range []*protocol.Command{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs <- c.send(cmd)
				}()
			}
			close(start)
			wg.Wait()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			oneOfEach(t, c.reply(a.Id), c.reply(b.Id))
		}},
		{"subscribe unsubscribe subscribe", func(t *testing.T, c *pclient, ch string) {
			cmds := []*protocol.Command{subCmd(ch), {Unsubscribe: &protocol.UnsubscribeRequest{Channel: ch}}, subCmd(ch)}
			for _, cmd := range cmds { // three frames, no waiting
				if err := c.send(cmd); err != nil {
					t.Fatal(err)
				}
			}
			if r := c.reply(cmds[0].Id); !okSub(r) {
				t.Fatalf("subscribe: %+v", r)
			}
			if r := c.reply(cmds[1].Id); r.Error != nil || r.Unsubscribe == nil {
				t.Fatalf("unsubscribe: %+v", r)
			}
			if r := c.reply(cmds[2].Id); !okSub(r) {
				t.Fatalf("subscribe again: %+v; the last request wins", r)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := "room:c16-" + strings.ReplaceAll(tc.name, " ", "-")
			user := "c16-" + tc.name
			wit.t = t
			if rep := wit.call(subCmd(ch)); !okSub(rep) {
				t.Fatalf("witness subscribe: %+v", rep)
			}
			before := h.Stats().Subscriptions
			c := dialP(t, node.WSURL)
			c.connect(node.Token(user))
			tc.dance(t, c, ch)

			if n := h.Stats().Subscriptions; n != before+1 {
				t.Fatalf("hub holds %d subscriptions; want %d (one for this connection)", n, before+1)
			}
			n := 0
			for _, u := range presenceUsers(t, node, ch) {
				if u == user {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s listed %d times in presence; want once", user, n)
			}

			for i := 1; i <= 10; i++ {
				node.Publish(ch, fmt.Sprintf("m%d", i))
			}
			c.until(testTimeout, func() bool { return len(c.pubs(ch)) >= 10 }, "m1–m10")
			c.sync() // a duplicate would be queued before this reply
			pubs := c.pubs(ch)
			if len(pubs) != 10 {
				t.Fatalf("%d publications; want m1–m10 exactly once", len(pubs))
			}
			for i, p := range pubs {
				var m string
				if err := json.Unmarshal(p.Data, &m); err != nil || m != fmt.Sprintf("m%d", i+1) || p.Offset != uint64(i+1) {
					t.Fatalf("publication %d: %s at offset %d; want m%d", i, p.Data, p.Offset, i+1)
				}
			}

			// One unsubscribe ends it: m11 reaches the witness, not c.
			if rep := c.call(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: ch}}); rep.Error != nil {
				t.Fatalf("unsubscribe: %+v", rep.Error)
			}
			node.Publish(ch, "m11")
			wit.until(testTimeout, func() bool { return len(wit.pubs(ch)) == 11 }, "m11 at the witness")
			c.sync()
			if got := len(c.pubs(ch)); got != 10 {
				t.Fatalf("%d publications after unsubscribing; want still 10", got)
			}
			if n := h.Stats().Subscriptions; n != before {
				t.Fatalf("hub holds %d subscriptions after unsubscribe; want %d", n, before)
			}
		})
	}
}
