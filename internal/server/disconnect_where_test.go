package server_test

import (
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// DisconnectWhere closes exactly the connections of one sign-in session
// (the token's sid), or those whose token was issued before a moment, and
// no other connection of the user or of anyone else.
func TestDisconnectWhereSessionAndIssuedBefore(t *testing.T) {
	node := testkit.Start(t, nil)
	now := time.Now()
	mint := func(user, sid string, iat time.Time) string {
		return node.Mint(auth.MintClaims{User: user, Session: sid, TTL: 2 * time.Hour, IssuedAt: iat})
	}
	conn := func(token string) *pclient {
		c := dialP(t, node.WSURL)
		c.connect(token)
		return c
	}
	aliceA := conn(mint("alice", "sess-A", now))
	aliceB := conn(mint("alice", "sess-B", now))
	aliceOld := conn(mint("alice", "", now.Add(-time.Hour)))
	bobA := conn(mint("bob", "sess-A", now)) // same sid string, other user

	h := node.Server.Hub()
	if werr := h.DisconnectWhere("alice", hub.ConnFilter{Session: "sess-A"}, wire.DisconnectSessionRevoked); werr != nil {
		t.Fatal(werr)
	}
	start := time.Now()
	if code, reason := aliceA.closed(testTimeout); code != 4500 || reason != "session revoked from another device" {
		t.Fatalf("alice's session A closed with %d %q", code, reason)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("session A closed after %v; the goal is under a second", took)
	}
	for _, c := range []*pclient{aliceB, aliceOld, bobA} {
		c.sync() // still connected and answering
	}

	if werr := h.DisconnectWhere("alice", hub.ConnFilter{IssuedBefore: now.Add(-time.Minute)}, wire.DisconnectTokensRevoked); werr != nil {
		t.Fatal(werr)
	}
	if code, _ := aliceOld.closed(testTimeout); code != 4503 {
		t.Fatalf("alice's old-token connection closed with %d; want 4503", code)
	}
	aliceB.sync()
	bobA.sync()

	if werr := h.DisconnectWhere("alice", hub.ConnFilter{IssuedBefore: now.Add(time.Minute)}, wire.DisconnectUserBlocked); werr != nil {
		t.Fatal(werr)
	}
	if code, _ := aliceB.closed(testTimeout); code != 4502 {
		t.Fatalf("alice's last connection closed with %d; want 4502", code)
	}
	bobA.sync()
}
