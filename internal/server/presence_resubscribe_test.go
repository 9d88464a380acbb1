package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Members that unsubscribe and subscribe again on the same connection,
// over and over, while refresh rounds run (ttl 1 s: a round every 333 ms,
// spread over 200 ms): whenever no member is between its unsubscribe and
// its subscribe reply, every member is listed. A refresh round lists the
// entries it will re-put when it starts; a re-put for a subscription that
// has since ended must neither delete the newer subscription's entry nor
// bring back a left one.
func TestPresenceHoldsThroughResubscribesDuringRefresh(t *testing.T) {
	const (
		members = 8
		channel = "room:resub"
		churn   = 4 * time.Second
	)
	node := testkit.Start(t, func(c *config.Config) { c.Presence.TTL = config.Duration(time.Second) })
	clients := make([]*pclient, members)
	ids := make([]string, members)
	for i := range clients {
		clients[i] = dialP(t, node.WSURL)
		ids[i] = clients[i].connect(node.Token(fmt.Sprintf("resub-%d", i))).Client
		if rep := clients[i].call(subCmd(channel)); rep.Error != nil {
			t.Fatalf("member %d subscribe: %+v", i, rep.Error)
		}
	}
	listed := func() map[string]bool {
		var pres struct {
			Presence map[string]struct{ User string } `json:"presence"`
		}
		node.API("presence", map[string]any{"channel": channel}, &pres)
		got := map[string]bool{}
		for id := range pres.Presence {
			got[id] = true
		}
		return got
	}
	checks, cycles := 0, 0
	for end := time.Now().Add(churn); time.Now().Before(end); {
		for i, c := range clients {
			unsub := &protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: channel}}
			if rep := c.call(unsub); rep.Error != nil {
				t.Fatalf("member %d unsubscribe: %+v", i, rep.Error)
			}
			if rep := c.call(subCmd(channel)); rep.Error != nil {
				t.Fatalf("member %d subscribe again: %+v", i, rep.Error)
			}
			cycles++
			// Every member has its subscribe reply now: all must be listed.
			got := listed()
			checks++
			for j, id := range ids {
				if !got[id] {
					t.Fatalf("after %d resubscribes: member %d (%s) is subscribed but not listed; listed %d of %d", cycles, j, id, len(got), members)
				}
			}
			if len(got) != members {
				t.Fatalf("after %d resubscribes: %d entries listed; want %d", cycles, len(got), members)
			}
		}
	}
	t.Logf("%d resubscribes, %d presence checks", cycles, checks)
}

// Two subscribes of one connection to one channel at the same moment (a
// backend retrying the server API's subscribe, or a client's own subscribe
// racing it): one wins, the other fails, and the connection is listed in
// presence, also after the entries have been refreshed past the TTL.
func TestPresenceAfterConcurrentSubscribesOfOneConnection(t *testing.T) {
	const channels = 30
	node := testkit.Start(t, func(c *config.Config) { c.Presence.TTL = config.Duration(time.Second) })
	c := dialP(t, node.WSURL)
	id := c.connect(node.Token("solo")).Client
	for i := range channels {
		ch := fmt.Sprintf("room:race-%d", i)
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := testkit.CallAPI(node.BaseURL, node.APIKey, "subscribe", map[string]any{"channel": ch, "user": "solo"}, nil)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("%s: subscribe: %v", ch, err)
			}
		}
	}
	c.sync()
	missing := func() []string {
		var out []string
		for i := range channels {
			ch := fmt.Sprintf("room:race-%d", i)
			var pres struct {
				Presence map[string]struct{ User string } `json:"presence"`
			}
			node.API("presence", map[string]any{"channel": ch}, &pres)
			if _, ok := pres.Presence[id]; !ok || len(pres.Presence) != 1 {
				out = append(out, ch)
			}
		}
		return out
	}
	// Listed at once, and still after three TTLs of refresh rounds.
	testkit.Eventually(t, 5*time.Second, func() bool { return len(missing()) == 0 }, "the connection listed in every channel")
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if m := missing(); len(m) != 0 {
			t.Fatalf("the subscribed connection is not listed (or listed twice) in %v", m)
		}
		time.Sleep(200 * time.Millisecond) // sampling a property over time, not waiting for an event
	}
}
