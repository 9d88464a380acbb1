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
