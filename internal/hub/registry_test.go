package hub

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// The per-user index keeps a slice for a few connections and a map past
// smallMapFew; either way every connection is listed once and removed.
func TestUserConnectionsThroughTheSwitchToAMap(t *testing.T) {
	for _, n := range []int{1, 2, smallMapFew, smallMapFew + 1, 100} {
		var r clientRegistry
		r.init()
		cs := make([]*Client, n)
		for i := range cs {
			cs[i] = &Client{id: fmt.Sprint(i), remote: netip.MustParseAddrPort("127.0.0.1:1")}
			r.byID[cs[i].id] = cs[i]
			r.bindUser(cs[i], "u", false)
		}
		if got := len(r.userClients("u")); got != n {
			t.Fatalf("n=%d: %d listed", n, got)
		}
		seen := map[*Client]bool{}
		for _, c := range r.userClients("u") {
			if seen[c] {
				t.Fatalf("n=%d: listed twice", n)
			}
			seen[c] = true
		}
		for k, i := range rand.Perm(n) {
			r.remove(cs[i], "u", true)
			if got, want := len(r.userClients("u")), n-k-1; got != want {
				t.Fatalf("n=%d: %d listed after %d removals; want %d", n, got, k+1, want)
			}
		}
		if _, ok := r.byUser["u"]; ok {
			t.Fatalf("n=%d: the user stays indexed with no connections", n)
		}
	}
}

// A connect that binds the user after the connection was already removed
// (it closed meanwhile) must still unbind it: the second remove finds the
// connection gone from byID.
func TestRemoveUnbindsAfterTheConnectionIsGone(t *testing.T) {
	var r clientRegistry
	r.init()
	c := &Client{id: "a", remote: netip.MustParseAddrPort("127.0.0.1:1")}
	r.byID[c.id] = c
	r.remove(c, "", false) // the close, before the connect bound the user
	r.bindUser(c, "ann", false)
	r.remove(c, "ann", true) // the connect seeing it lost
	if got := r.userClients("ann"); len(got) != 0 {
		t.Fatalf("user still lists %d connections", len(got))
	}
}

// Over the per-address limit, the check before the upgrade and the one
// after it refuse alike, with a code that tells the client to retry later
// (the limit frees up as the address's connections close).
func TestPerAddressRefusalIsRetryableBeforeAndAfterTheUpgrade(t *testing.T) {
	var r clientRegistry
	r.init()
	addr := netip.MustParseAddrPort("10.0.0.7:4000")
	if err := r.add(&Client{id: "a", remote: addr}, 1); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"before the upgrade": r.admitAddr(addr.Addr(), 1),
		"after the upgrade":  r.add(&Client{id: "b", remote: addr}, 1),
	} {
		de, ok := err.(*DisconnectError)
		if !ok || de.Disconnect.Code != 3013 || !strings.Contains(de.Disconnect.Reason, "too many connections from 10.0.0.7 (limit 1); retry later") {
			t.Errorf("%s: %v; want 3013 naming the address, the limit and to retry", name, err)
		}
	}
}

// The refused takes of one burst are told times one token apart, so each
// retry after its own hint finds a token; a take that waited its hint is
// admitted.
func TestTokenBucketSpreadsTheRetriesOfABurst(t *testing.T) {
	var b tokenBucket
	t0 := time.Unix(1000, 0)
	b.init(100, 1, t0) // one token per 10 ms
	if ok, _ := b.take(t0); !ok {
		t.Fatal("the first take was refused")
	}
	var hints []time.Duration
	for range 3 {
		ok, retry := b.take(t0)
		if ok {
			t.Fatal("a take past the burst was admitted")
		}
		hints = append(hints, retry)
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
	for i := range want {
		if d := hints[i] - want[i]; d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("hints %v; want %v", hints, want)
		}
	}
	for i, h := range hints {
		if ok, _ := b.take(t0.Add(h)); !ok {
			t.Fatalf("the take retried after hint %d (%v) was refused", i, h)
		}
	}
}
