package websocket

import (
	"net/http"
	"testing"
	"time"
)

// Past MaxConnections an upgrade is refused with 503 and Retry-After,
// before the socket is taken; once a connection closes, the next upgrade
// is served.
func TestMaxConnectionsRefusesUpgradesPastTheLimit(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{MaxConnections: 2}, acc)
	first := dialUpgraded(t, ts.addr)
	dialUpgraded(t, ts.addr)
	acc.waitSession(t, 1)

	c := dialRaw(t, ts.addr)
	resp, err := c.roundTrip(upgradeRequest(ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third upgrade: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	_ = first.nc.Close()
	waitFor(t, 10*time.Second, "the first connection to close", func() bool { return ts.Stats().ConnectionsOpen < 2 })
	dialUpgraded(t, ts.addr)
	acc.waitSession(t, 2)
}

func TestConnectionsForDescriptors(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		want  int
	}{
		{0, 0},
		{1 << 40, 0}, // unlimited in practice
		{20000, 19600},
		{1024, 768},
		{100, 1},
		{1048576, 1027605},
	} {
		if got := ConnectionsForDescriptors(c.limit); got != c.want {
			t.Errorf("ConnectionsForDescriptors(%d) = %d; want %d", c.limit, got, c.want)
		}
	}
}
