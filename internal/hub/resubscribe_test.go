package hub

import (
	"testing"

	"github.com/centrifugal/protocol"
)

// A client that subscribes again before the leave of its previous
// subscription has run (a server unsubscribe hands the leave to another
// goroutine) keeps its new subscription: the old leave removes only the
// old one, and the subscriber counts stay exact.
func TestStaleLeaveKeepsTheNewerSubscription(t *testing.T) {
	h, err := New(Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ns := &Namespace{Name: "room"}
	ch := newChannel(h, ChannelID{Name: "room:a", Namespace: "room"}, ns)
	c := &Client{hub: h, id: "c1", t: &sinkTransport{proto: protocol.TypeJSON}, proto: protocol.TypeJSON}
	old, newer := &subscription{ch: ch, ns: ns}, &subscription{ch: ch, ns: ns}

	ch.mu.Lock()
	ch.addSubscriberLocked(c, old)
	ch.addSubscriberLocked(c, newer) // the resubscribe joins first
	ch.mu.Unlock()
	if ch.removeSubscriber(c, old) {
		t.Fatal("the old subscription's leave removed the newer subscription")
	}
	ch.mu.Lock()
	cur, ok := ch.subs.get(c)
	count := ch.jsonSubs
	ch.mu.Unlock()
	if !ok || cur != newer || count != 1 {
		t.Fatalf("after the stale leave: listed %v (newer: %v), JSON subscribers %d; want the newer one, 1", ok, cur == newer, count)
	}
	if !ch.removeSubscriber(c, newer) {
		t.Fatal("the newer subscription's own leave did not remove it")
	}
	ch.mu.Lock()
	count = ch.jsonSubs
	ch.mu.Unlock()
	if count != 0 {
		t.Fatalf("JSON subscribers %d after both leaves; want 0", count)
	}
}
