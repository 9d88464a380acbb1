package cluster_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// edgeTOML: a namespace without presence, and no per-user connection
// records, so nothing but publications and heartbeats crosses the leaf
// links while they are measured.
const edgeNamespace = `
[[namespaces]]
name = "live"
history_size = 1000
history_ttl = "1h"
recovery = true
publish = "authenticated"
`

// One core and two edges, each edge reached through a proxy. With 1,000
// subscribers on each edge, each publication crosses each leaf link once.
// When one edge's link is cut without a close, its clients get the link
// status push with state "down" and its /readyz turns false with the
// reason; the other edge is untouched. When the link heals, the edge
// reads what it missed from the core, its clients get every publication
// exactly once, in order, and then the status push with state "up".
func TestEdgesLeafLinkCrossingsAndLinkLoss(t *testing.T) {
	skipShort(t)
	sh := testkit.NewShared(t, clusterTOML("max_connections_per_user = 0", "", edgeNamespace))
	leaf := testkit.FreeAddr(t)
	core := sh.Start("core", "--leaf-listen", leaf)
	waitReady(t, core, 30*time.Second)
	p1, p2 := testkit.NewProxy(t, leaf), testkit.NewProxy(t, leaf)
	edges := sh.StartAll(
		testkit.NodeSpec{Name: "e1", Args: []string{"--edge", "nats-leaf://" + p1.Addr()}},
		testkit.NodeSpec{Name: "e2", Args: []string{"--edge", "nats-leaf://" + p2.Addr()}},
	)
	for _, e := range edges {
		waitReady(t, e, 30*time.Second)
	}
	waitNodes(t, append([]*testkit.Process{core}, edges...), 3)

	const channel = "live:edge"
	const perEdge = 1000
	raw := make([][]*rawSub, 2)
	for i, e := range edges {
		subs, err := dialRawSubs(perEdge, e.WSURL, func(k int) string { return sh.Token(fmt.Sprintf("e%d-u%d", i+1, k)) }, channel)
		if err != nil {
			t.Fatalf("edge %d subscribers: %v", i+1, err)
		}
		raw[i] = subs
		t.Cleanup(func() {
			for _, s := range subs {
				s.close()
			}
		})
	}
	for i := range raw {
		waitRaw(t, raw[i], fmt.Sprintf("e%d subscribed", i+1), func(subscribed bool, _ []uint64, _ []rawStatus) bool { return subscribed })
	}
	sdk := subscribe(t, "e1-sdk", edges[0].WSURL, sh.Token("e1-sdk"), channel)

	// Crossings per publication, from the core's leaf-link counters, with
	// the background traffic (heartbeats) of an equal quiet interval
	// taken off.
	const n = 200
	outTo := func(edge string) float64 {
		v, err := metricValue(core.BaseURL, "liveroom_nats_leaf_messages", `leaf="`+edge+`"`, `direction="out"`)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := []float64{outTo("e1"), outTo("e2")}
	start := time.Now()
	for k := 1; k <= n; k++ {
		if _, err := publishAPI(core.BaseURL, core.APIKey, channel, fmt.Sprintf(`{"k":%d}`, k), "", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for i := range raw {
		waitRaw(t, raw[i], fmt.Sprintf("e%d received %d", i+1, n), gotOffsets(n))
	}
	took := time.Since(start)
	after := []float64{outTo("e1"), outTo("e2")}
	quietStart := time.Now()
	quietBefore := []float64{outTo("e1"), outTo("e2")}
	testkit.Eventually(t, 2*took+time.Second, func() bool { return time.Since(quietStart) >= took }, "quiet interval")
	quietAfter := []float64{outTo("e1"), outTo("e2")}
	for i := range 2 {
		delta := after[i] - before[i]
		background := (quietAfter[i] - quietBefore[i]) * float64(took) / float64(time.Since(quietStart))
		if delta < n || delta >= 2*n {
			t.Fatalf("e%d: %v messages crossed its leaf link for %d publications to %d subscribers; want each publication once", i+1, delta, n, perEdge)
		}
		logNumber(t, "edge e%d with %d subscribers: %v leaf-link messages for %d publications (%.2f per publication; %.2f after taking off %.0f background messages)",
			i+1, perEdge, delta, n, delta/n, (delta-background)/n, background)
	}

	// Cut e1's link without a close.
	p1.Cut()
	cutAt := time.Now()
	waitRaw(t, raw[0], "e1 subscribers told the link is down", func(_ bool, _ []uint64, st []rawStatus) bool {
		return len(st) == 1 && st[0].State == "down"
	})
	logNumber(t, "edge link cut without close: e1's clients told it is down %s after the cut (cluster.ping_interval 500ms)", time.Since(cutAt).Round(time.Millisecond))
	code, ready, err := getReady(edges[0].BaseURL)
	if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(ready.Reason, "leaf link") {
		t.Fatalf("e1 /readyz = %d %+v %v; want 503 naming the leaf link", code, ready, err)
	}
	if code, ready, err := getReady(edges[1].BaseURL); err != nil || code != http.StatusOK {
		t.Fatalf("e2 /readyz = %d %+v %v; want 200: its link is up", code, ready, err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return len(sdkStatuses(sdk)) == 1 }, "the centrifuge-go client on e1 gets the status message")
	if st := sdkStatuses(sdk)[0]; st["state"] != "down" || st["node"] != "e1" || st["reason"] == "" {
		t.Fatalf("status message = %v; want state down, node e1 and a reason", st)
	}

	const m = 30
	for k := n + 1; k <= n+m; k++ {
		if _, err := publishAPI(core.BaseURL, core.APIKey, channel, fmt.Sprintf(`{"k":%d}`, k), "", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	waitRaw(t, raw[1], "e2 keeps receiving during e1's cut", gotOffsets(n+m))

	p1.Heal()
	healAt := time.Now()
	waitRaw(t, raw[0], "e1 subscribers caught up and told the link is up", func(_ bool, offs []uint64, st []rawStatus) bool {
		return len(st) == 2 && len(offs) >= n+m
	})
	logNumber(t, "edge link healed: e1's %d clients caught up on %d missed publications and told the link is up %s after the heal",
		perEdge, m, time.Since(healAt).Round(time.Millisecond))
	for _, s := range raw[0] {
		_, offs, st, _ := s.state()
		if st[1].State != "up" || st[1].After < n+m {
			t.Fatalf("an e1 subscriber got %+v; want up after all %d publications were delivered", st, n+m)
		}
		if len(offs) < n+m {
			t.Fatalf("an e1 subscriber has %d publications", len(offs))
		}
	}
	waitReady(t, edges[0], 10*time.Second)

	const k = 10
	for j := n + m + 1; j <= n+m+k; j++ {
		if _, err := publishAPI(edges[1].BaseURL, edges[1].APIKey, channel, fmt.Sprintf(`{"k":%d}`, j), "", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for i := range raw {
		waitRaw(t, raw[i], fmt.Sprintf("e%d has everything", i+1), gotOffsets(n+m+k))
		for _, s := range raw[i] {
			_, offs, st, err := s.state()
			if err != nil {
				t.Fatalf("e%d subscriber: %v", i+1, err)
			}
			for j, o := range offs {
				if o != uint64(j+1) {
					t.Fatalf("e%d subscriber: publication %d has offset %d (lost or duplicated)", i+1, j, o)
				}
			}
			if i == 1 && len(st) != 0 {
				t.Fatalf("e2 subscriber got link status %+v; its link never went down", st)
			}
		}
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return sdk.count() == n+m+k }, "the SDK client on e1 has everything")
	if problem := checkExact(sdk.snapshot(), 1, n+m+k, nil); problem != "" {
		t.Fatalf("SDK client on e1: %s", problem)
	}
	if st := sdkStatuses(sdk); len(st) != 2 || st[1]["state"] != "up" {
		t.Fatalf("SDK client statuses %v; want down then up", st)
	}
}

// gotOffsets is a waitRaw condition: at least n publications.
func gotOffsets(n int) func(bool, []uint64, []rawStatus) bool {
	return func(_ bool, offs []uint64, _ []rawStatus) bool { return len(offs) >= n }
}

// waitRaw waits until cond holds for every subscriber (or one fails).
func waitRaw(t *testing.T, subs []*rawSub, what string, cond func(bool, []uint64, []rawStatus) bool) {
	t.Helper()
	pending := 0
	var lastErr error
	testkit.Eventually(t, 60*time.Second, func() bool {
		pending = 0
		for _, s := range subs {
			subscribed, offs, st, err := s.state()
			if err != nil {
				lastErr = err
				return true
			}
			if !cond(subscribed, offs, st) {
				pending++
			}
		}
		return pending == 0
	}, "%s (%d of %d not yet)", what, pending, len(subs))
	if lastErr != nil {
		t.Fatalf("%s: a subscriber failed: %v", what, lastErr)
	}
}

// sdkStatuses decodes the link status messages a centrifuge-go client got.
func sdkStatuses(s *subscriber) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, m := range s.messages {
		var v map[string]any
		if json.Unmarshal(m, &v) == nil && v["type"] == "liveroom.link" {
			out = append(out, v)
		}
	}
	return out
}
