package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// TestLimitsPerAddressSeeClientsBehindATrustedProxy: behind a load
// balancer every connection came from its address, so
// client.max_connections_per_ip capped the whole node (and the accounts'
// attempts per address throttled every user together). With
// web.trusted_proxies, a connection through such a proxy counts as its
// X-Forwarded-For client's; without it, the header is ignored, so a client
// cannot claim another address.
func TestLimitsPerAddressSeeClientsBehindATrustedProxy(t *testing.T) {
	dial := func(t *testing.T, node *testkit.Node, client string) int {
		t.Helper()
		opened := node.Server.Hub().Stats().ConnectionsAccepted
		c, status := dialWith(t, node, "/connection/websocket", http.Header{"X-Forwarded-For": {client}})
		if c != nil {
			t.Cleanup(func() { _ = c.ws.Close() })
			testkit.Eventually(t, 5*time.Second, func() bool {
				return node.Server.Hub().Stats().ConnectionsAccepted > opened
			}, "connection from %s registered", client)
		}
		return status
	}
	t.Run("trusted", func(t *testing.T) {
		node := testkit.Start(t, func(c *config.Config) {
			c.Client.MaxConnectionsPerIP = 1
			c.Web.TrustedProxies = []string{"127.0.0.1"}
		})
		for _, tc := range []struct {
			client string
			want   int
		}{
			{"203.0.113.1", http.StatusSwitchingProtocols},
			{"203.0.113.2", http.StatusSwitchingProtocols},
			{"198.51.100.9, 203.0.113.1", http.StatusTooManyRequests}, // what the client wrote is not believed
			{"2001:db8:1:2::1", http.StatusSwitchingProtocols},
			{"2001:db8:1:2::99", http.StatusTooManyRequests}, // IPv6 counts per /64
			{"fe80::1%eth0", http.StatusSwitchingProtocols},
			{"fe80::1%eth1", http.StatusTooManyRequests}, // a zone is not another address
			{"2001:db8:1:3::1", http.StatusSwitchingProtocols},
		} {
			if got := dial(t, node, tc.client); got != tc.want {
				t.Fatalf("through the trusted proxy for %s: status %d; want %d", tc.client, got, tc.want)
			}
		}
	})
	t.Run("not trusted", func(t *testing.T) {
		node := testkit.Start(t, func(c *config.Config) { c.Client.MaxConnectionsPerIP = 1 })
		if got := dial(t, node, "203.0.113.1"); got != http.StatusSwitchingProtocols {
			t.Fatalf("first connection: status %d", got)
		}
		if got := dial(t, node, "203.0.113.2"); got != http.StatusTooManyRequests {
			t.Fatalf("a second connection from the same peer claiming another address: status %d; want 429", got)
		}
	})
}
