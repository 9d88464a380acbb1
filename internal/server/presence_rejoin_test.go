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

// TestNoSecondLeaveAfterAReap: another node's reaper announced this
// node's connection leaving (this node was cut off), and the connection
// then ends before this node re-puts its entry: subscribers must not hear
// a second leave for it.
func TestNoSecondLeaveAfterAReap(t *testing.T) {
	node := testkit.Start(t, nil)
	channel := wire.ChatChannel("reaped")
	bob := chatUser(t, node, "bob", nil)
	_, rec := subscribe(t, bob, channel, centrifuge.SubscriptionConfig{JoinLeave: true})
	ada := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	adaID := ada.Connect(node.Token("ada")).Client
	if rep := ada.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: channel}}); rep.Error != nil {
		t.Fatalf("ada subscribe: %+v", rep.Error)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return countClient(rec, adaID, true) == 1 }, "bob hears ada join")

	// The reaper's tombstone (its leave went out from the other node), and
	// this node learning it may have been taken for dead.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := node.Server.Engine().PresenceDelete(ctx, engine.Ref("chat", channel), adaID, "ada"); err != nil {
		t.Fatal(err)
	}
	node.Server.Hub().MayHaveBeenReaped()
	_ = ada.WS.Close() // ada's connection ends before the entry is back

	// A marker: carol joins and leaves after ada; her leave follows
	// ada's on the channel, so once bob has it, ada's would be there too.
	carol := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	carolID := carol.Connect(node.Token("carol")).Client
	if rep := carol.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: channel}}); rep.Error != nil {
		t.Fatalf("carol subscribe: %+v", rep.Error)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		return node.Server.Hub().Stats().LeavesReaped == 1 // ada's leave decided: already announced
	}, "ada's leave found announced by the reaper")
	if rep := carol.Call(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: channel}}); rep.Error != nil {
		t.Fatalf("carol unsubscribe: %+v", rep.Error)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return countClient(rec, carolID, false) == 1 }, "bob hears carol leave")
	if n := countClient(rec, adaID, false); n != 0 {
		t.Fatalf("bob heard %d leaves for ada from this node; want none (the reaper's was the one)", n)
	}
}

// countClient counts the joins (or leaves) a recorder holds for a client.
func countClient(r *recorder, client string, joins bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.leaves
	if joins {
		list = r.joins
	}
	n := 0
	for _, ci := range list {
		if ci.Client == client {
			n++
		}
	}
	return n
}
