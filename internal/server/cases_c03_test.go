package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C03: a connection token with an explicit channel list may subscribe to
// nothing else — other tenants, wildcards, path tricks, look-alike names,
// other users' personal channels and its own personal channel included —
// and reads (history, presence) outside the list are refused too. Names
// are validated, never rewritten: whitespace, NUL and upper case are 107.
// The SSE part of step 3 waits for the SSE transport.
func TestC03TokenChannelScope(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		for _, name := range []string{"tenant-a", "tenant-b"} {
			ns := config.NamespaceDefaults(name)
			ns.HistorySize, ns.Presence = 100, true
			c.Namespaces = append(c.Namespaces, ns)
		}
	})
	const a, b = "tenant-a:orders", "tenant-b:orders"

	// Step 1: CA (user-1) holds a token for tenant-a:orders only. The
	// token's list subscribes it at connect (server-side subscription).
	ca := dialP(t, node.WSURL)
	res := ca.connect(node.Token("user-1", a))
	if sr, ok := res.Subs[a]; !ok || sr == nil || sr.Epoch == "" {
		t.Fatalf("connect result subs %+v; want a subscription to %s", res.Subs, a)
	}
	if len(res.Subs) != 1 {
		t.Fatalf("connect result subs %+v; want only %s", res.Subs, a)
	}
	// A second subscribe to it is the documented "already subscribed".
	if rep := ca.call(subCmd(a)); rep.Error == nil || rep.Error.Code != 105 {
		t.Fatalf("subscribe %s again: %+v; want 105", a, rep)
	}

	// A witness subscribed to tenant-b (its token has no list).
	wb := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("user-2")})
	_, wbRec := subscribe(t, wb, b, centrifuge.SubscriptionConfig{})

	// Steps 2, 5 and 6: refused, with the code saying why.
	for _, tc := range []struct {
		channel string
		code    uint32
	}{
		{b, 103},
		{"*", 103},        // default namespace: not in the list
		{"tenant-*", 103}, // default namespace: not in the list
		{"tenant-a:orders/../tenant-b:orders", 103},
		{"tenant-a:other", 103}, // same tenant, not listed
		{"TENANT-B:orders", 107},
		{"tenant-b:orders ", 107},
		{"tenant-b:orders\x00", 107},
		{"personal:user-2", 103},
		{"personal:user-2,user-3", 103},
		{"personal:user-1", 103}, // own personal channel, excluded by the list
		{"nope:x", 102},
	} {
		rep := ca.call(subCmd(tc.channel))
		if rep.Error == nil || rep.Error.Code != tc.code || rep.Subscribe != nil {
			t.Fatalf("subscribe %q: %+v; want error %d", tc.channel, rep, tc.code)
		}
	}

	// Step 3: history and presence of tenant-b are refused with no data.
	for name, cmd := range map[string]*protocol.Command{
		"history":        {History: &protocol.HistoryRequest{Channel: b, Limit: -1}},
		"presence":       {Presence: &protocol.PresenceRequest{Channel: b}},
		"presence_stats": {PresenceStats: &protocol.PresenceStatsRequest{Channel: b}},
	} {
		rep := ca.call(cmd)
		if rep.Error == nil || rep.Error.Code != 103 || rep.History != nil || rep.Presence != nil || rep.PresenceStats != nil {
			t.Fatalf("%s of %s: %+v; want error 103 and no data", name, b, rep)
		}
	}

	// Step 4: 5 publications to each tenant.
	for i := 1; i <= 5; i++ {
		node.Publish(b, map[string]int{"b": i})
		node.Publish(a, map[string]int{"a": i})
	}
	ca.until(10*time.Second, func() bool { return len(ca.pubs(a)) >= 5 }, "5 tenant-a publications")
	// Fan-out queues a publication for every subscriber at once: once the
	// witness has the 5th tenant-b one, anything for CA was queued too, and
	// a round trip on CA's connection reads past it.
	testkit.Eventually(t, 10*time.Second, func() bool { return wbRec.count() == 5 }, "witness has 5 tenant-b publications")
	ca.sync()
	for _, p := range ca.pushes {
		if p.Channel != a {
			t.Fatalf("CA received a push on %q: %+v", p.Channel, p)
		}
	}
	pubs := ca.pubs(a)
	if len(pubs) != 5 {
		t.Fatalf("CA received %d tenant-a publications; want exactly 5", len(pubs))
	}
	for i, p := range pubs {
		var m struct{ A int }
		if err := json.Unmarshal(p.Data, &m); err != nil || m.A != i+1 || p.Offset != uint64(i+1) {
			t.Fatalf("tenant-a publication %d: %s at offset %d", i, p.Data, p.Offset)
		}
	}

	// The server holds no tenant-b subscription for CA: tenant-b lists only
	// the witness, tenant-a only CA, and the hub holds exactly CA's one
	// subscription and the witness's one.
	if users := presenceUsers(t, node, b); len(users) != 1 || !hasUser(users, "user-2") {
		t.Fatalf("presence of %s: %v; want only the witness", b, users)
	}
	if users := presenceUsers(t, node, a); len(users) != 1 || users[res.Client] != "user-1" {
		t.Fatalf("presence of %s: %v; want only CA (%s)", a, users, res.Client)
	}
	if subs := node.Server.Hub().Stats().Subscriptions; subs != 2 {
		t.Fatalf("hub holds %d subscriptions; want 2 (CA on tenant-a, witness on tenant-b)", subs)
	}
}

func hasUser(m map[string]string, user string) bool {
	for _, u := range m {
		if u == user {
			return true
		}
	}
	return false
}
