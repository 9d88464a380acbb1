package hub

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
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
