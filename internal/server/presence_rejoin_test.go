package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/engine"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestReapedPresenceIsAnnouncedAgainOnRejoin: when a node is cut off for
// longer than the node timeout (a partition, a frozen process), the
// others reap its presence entries and tell their subscribers its
// connections left. When it comes back with those connections still open,
// it re-puts their entries; subscribers must hear a join too, or presence
// lists them while every client's own list (built from joins and leaves)
// does not.
func TestReapedPresenceIsAnnouncedAgainOnRejoin(t *testing.T) {
	node := testkit.Start(t, nil)
	channel := wire.ChatChannel("rejoin")
	ada := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	adaID := ada.Connect(node.Token("ada")).Client
	if rep := ada.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: channel}}); rep.Error != nil {
		t.Fatalf("ada subscribe: %+v", rep.Error)
	}
	bob := chatUser(t, node, "bob", nil)
	_, rec := subscribe(t, bob, channel, centrifuge.SubscriptionConfig{JoinLeave: true})

	// What another node's reaper does: a tombstone over ada's entry (and
	// its leave, which bob would have got from that node).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	eng := node.Server.Engine()
	if err := eng.PresenceDelete(ctx, engine.Ref("chat", channel), adaID, "ada"); err != nil {
		t.Fatal(err)
	}
	if live, err := eng.PresenceLive(ctx, engine.Ref("chat", channel), adaID, "ada"); err != nil || live {
		t.Fatalf("after the tombstone: live %v, %v; want false", live, err)
	}
	node.Server.Hub().Resync() // what the node runs when its routes come back

	testkit.Eventually(t, 10*time.Second, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, j := range rec.joins {
			if j.Client == adaID {
				return true
			}
		}
		return false
	}, "bob hears ada join again")
	if live, err := eng.PresenceLive(ctx, engine.Ref("chat", channel), adaID, "ada"); err != nil || !live {
		t.Fatalf("after the rejoin: live %v, %v; want true", live, err)
	}
}
