package websocket

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// At the descriptor limit the upgrade still completes (net/http accepted
// the socket), but the poller cannot duplicate the descriptor: the client
// gets close code 1013 (try again later), not a silent EOF, and the server
// takes connections again once descriptors are free.
func TestDescriptorLimitRefusesWith1013(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	openFDs := func() int {
		names, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("cannot count open descriptors: %v", err)
		}
		return len(names)
	}
	before := openFDs()
	c := dialRaw(t, ts.addr) // before the limit: this client's own socket
	// Wait until the server has accepted it too, so the limit below
	// leaves no room for the poller's duplicate.
	waitFor(t, 10*time.Second, "the server to accept the socket", func() bool { return openFDs() >= before+2 })
	// The limit caps descriptor numbers, and a new descriptor takes the
	// lowest free one: a limit at the lowest free number leaves none.
	probe, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	lowestFree := probe.Fd()
	_ = probe.Close()
	tight := lim
	tight.Cur = uint64(lowestFree)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &tight); err != nil {
		t.Skipf("cannot lower the descriptor limit: %v", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				t.Errorf("restore the descriptor limit: %v", err)
			}
		}
	}
	t.Cleanup(restore)

	resp, err := c.roundTrip(upgradeRequest(ts.addr))
	if err != nil {
		restore()
		t.Fatalf("upgrade: %v", err)
	}
	if resp.StatusCode != 101 {
		restore()
		t.Fatalf("upgrade status %d; want 101", resp.StatusCode)
	}
	code := c.expectCloseWithin(10 * time.Second)
	restore()
	if code != closeTryAgainLater {
		t.Fatalf("close code %d at the descriptor limit; want %d", code, closeTryAgainLater)
	}
	if got := len(acc.sessions()); got != 0 {
		t.Fatalf("%d sessions accepted at the descriptor limit; want 0", got)
	}
	// With descriptors free again, an upgrade is served.
	dialUpgraded(t, ts.addr)
	acc.waitSession(t, 0)
}
