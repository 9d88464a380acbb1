package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Cases C12 and C16 (../shared/cases.md) across nodes: a subscriber on node
// 2, cut three times by a command sent through node 3 while node 1 keeps
// publishing, recovers exactly every time; a connection on node 3 that
// subscribes twice is refused the second time and gets each publication
// once.
func TestRecoveryCyclesAndDoubleSubscribeAcrossNodes(t *testing.T) {
	skipShort(t)
	sh := testkit.NewShared(t, clusterTOML("", "", ""))
	n := startThree(t, sh)
	const channel = "room:cases"
	const cycles, perBurst = 3, 5

	sub := subscribe(t, "c12", n[1].WSURL, sh.Token("c12"), channel)
	raw, err := dialRawSub(n[2].WSURL, sh.Token("c16"), channel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(raw.close)
	testkit.Eventually(t, 15*time.Second, func() bool { ok, _, _, _ := raw.state(); return ok }, "raw client subscribed")
	if err := raw.write([]byte(fmt.Sprintf(`{"id":3,"subscribe":{"channel":%q}}`, channel))); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { _, _, _, err := raw.state(); return err != nil }, "second subscribe answered")
	if _, _, _, err := raw.state(); !strings.Contains(err.Error(), "command 3: error 105") {
		t.Fatalf("second subscribe on node 3: %v; want error 105 (already subscribed)", err)
	}

	published := 0
	burst := func() {
		for range perBurst {
			published++
			if _, err := publishAPI(n[0].BaseURL, n[0].APIKey, channel, fmt.Sprintf(`{"n":%d}`, published), "", 20*time.Second); err != nil {
				t.Fatalf("publish %d via node 1: %v", published, err)
			}
		}
	}
	burst()
	for cycle := 1; cycle <= cycles; cycle++ {
		testkit.Eventually(t, 20*time.Second, func() bool { return sub.count() == published }, "cycle %d: %d publications before the cut", cycle, published)
		// 4000: a reconnecting code; the command goes through node 3.
		if status := api(t, n[2], "disconnect", map[string]any{"user": "c12", "code": 4000, "reason": "test cut"}, nil); status != 200 {
			t.Fatalf("disconnect via node 3: status %d", status)
		}
		burst() // while the client is away or coming back
		testkit.Eventually(t, 30*time.Second, func() bool {
			sub.mu.Lock()
			defer sub.mu.Unlock()
			return len(sub.subscribed) == cycle+1
		}, "cycle %d: resubscribed", cycle)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return sub.count() == published }, "all %d publications after the last cut", published)
	if problem := checkExact(sub.snapshot(), 1, uint64(published), nil); problem != "" {
		t.Fatalf("subscriber on node 2 after %d cuts: %s", cycles, problem)
	}
	sub.mu.Lock()
	for i, ev := range sub.subscribed[1:] {
		if !ev.WasRecovering || !ev.Recovered {
			sub.mu.Unlock()
			t.Fatalf("resubscription %d: recovering %v, recovered %v; want both", i+1, ev.WasRecovering, ev.Recovered)
		}
	}
	sub.mu.Unlock()

	// The raw connection stayed subscribed once: every offset exactly once.
	testkit.Eventually(t, 20*time.Second, func() bool { _, offs, _, _ := raw.state(); return len(offs) >= published }, "raw client received everything")
	_, offs, _, _ := raw.state()
	if len(offs) != published {
		t.Fatalf("raw client on node 3 got %d publications; want exactly %d (no duplicates)", len(offs), published)
	}
	for i, o := range offs {
		if o != uint64(i+1) {
			t.Fatalf("raw client's publication %d has offset %d; want %d", i, o, i+1)
		}
	}
}
