package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// A subscriber drops and comes back: with the channel lingering (the
// default) its recovery comes from the node's recent publications; with
// lingering off the channel stopped meanwhile, so the same recovery reads
// the stream. Either way it gets exactly what it missed.
func TestChannelLingerServesRecoveryFromMemory(t *testing.T) {
	for _, tc := range []struct {
		name      string
		linger    time.Duration
		wantReads int64
	}{
		{"lingering", 10 * time.Second, 0},
		{"off", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := testkit.Start(t, func(c *config.Config) { c.Client.ChannelLinger = config.Duration(tc.linger) })
			h := node.Server.Hub()
			const ch = "room:linger"
			a := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
			a.Connect(node.Token("ann"))
			if rep := a.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recover: true}}); rep.Error != nil {
				t.Fatalf("subscribe: %+v", rep.Error)
			}
			for i := 1; i <= 3; i++ {
				node.Publish(ch, fmt.Sprintf("before %d", i))
			}
			seen := a.Push(func(p *protocol.Push) bool { return p.Pub != nil && p.Pub.Offset == 3 })
			epoch := node.Epoch(ch)
			_ = a.WS.Close()
			testkit.Eventually(t, 10*time.Second, func() bool { return h.Stats().ConnectionsOpen == 0 }, "the dropped connection is gone")
			if tc.linger == 0 {
				testkit.Eventually(t, 10*time.Second, func() bool { return h.Stats().Channels == 0 }, "the channel stopped")
			} else if n := h.Stats().Channels; n != 1 {
				t.Fatalf("%d channels on the node after its last subscriber left; want the lingering one", n)
			}
			node.Publish(ch, "missed 4")
			node.Publish(ch, "missed 5")
			readsBefore := h.Stats().RecoveryReads

			b := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
			b.Connect(node.Token("ann"))
			rep := b.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recover: true, Epoch: epoch, Offset: seen.Pub.Offset}})
			if rep.Error != nil || rep.Subscribe == nil {
				t.Fatalf("resubscribe: %+v", rep.Error)
			}
			res := rep.Subscribe
			if !res.Recovered || len(res.Publications) != 2 || res.Publications[0].Offset != 4 || res.Publications[1].Offset != 5 {
				t.Fatalf("recovered %v with %d publications; want true with offsets 4 and 5", res.Recovered, len(res.Publications))
			}
			if got := h.Stats().RecoveryReads - readsBefore; got != tc.wantReads {
				t.Fatalf("the recovery read the stream %d times; want %d", got, tc.wantReads)
			}
		})
	}
}

// A lingering channel stops once its linger ends.
func TestLingeringChannelStopsAfterTheLinger(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Client.ChannelLinger = config.Duration(200 * time.Millisecond) })
	h := node.Server.Hub()
	a := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	a.Connect(node.Token("ann"))
	if rep := a.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "room:short"}}); rep.Error != nil {
		t.Fatalf("subscribe: %+v", rep.Error)
	}
	if rep := a.Call(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: "room:short"}}); rep.Error != nil {
		t.Fatalf("unsubscribe: %+v", rep.Error)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return h.Stats().Channels == 0 }, "the channel stopped after its linger (%d left)", h.Stats().Channels)
}
