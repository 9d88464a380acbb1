package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

func dialStatus(t *testing.T, url string) (*websocket.Conn, int) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(url, nil)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { ws.Close() })
	return ws, http.StatusSwitchingProtocols
}

func TestConnectionLimitsPerUserAndAddress(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.MaxConnectionsPerUser = 2
		c.Client.MaxConnectionsPerIP = 3
	})
	// Per user: the third connection of one user is refused with 3504.
	for i := 0; i < 2; i++ {
		testkit.DialRaw(t, node.WSURL, protocol.TypeJSON).Connect(node.Token("ann"))
	}
	third := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	third.Send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: node.Token("ann")}})
	if code, reason := third.Closed(5 * time.Second); code != 3504 {
		t.Fatalf("third connection of a user closed with %d %q; want 3504", code, reason)
	}
	// Per address: with 3 open (the refused one is gone), a 4th upgrade from
	// 127.0.0.1 is refused before the upgrade with 429.
	testkit.Eventually(t, 5*time.Second, func() bool { return node.Server.Hub().Stats().ConnectionsOpen == 2 }, "refused connection cleaned up")
	// The next upgrade must be refused while 3 are open from the address.
	// (Dialled in a loop so a connection the loaded machine dropped on its
	// own does not fail the test; the refusal must still come at exactly 3.)
	for i := 0; ; i++ {
		open := node.Server.Hub().Stats().ConnectionsOpen
		accepted := node.Server.Hub().Stats().ConnectionsAccepted
		_, status := dialStatus(t, node.WSURL)
		if status == http.StatusTooManyRequests {
			if open != 3 {
				t.Fatalf("refused with 429 while %d connections were open from the address; the limit is 3", open)
			}
			if got := metricValue(t, node, `liveroom_connections_refused_total{reason="per_ip"}`); got != 1 {
				t.Fatalf("connections refused per address in the metrics: %v; want 1", got)
			}
			break
		}
		if status != http.StatusSwitchingProtocols || open >= 3 || i == 3 {
			t.Fatalf("connection from the address with %d open: status %d; want 429 at 3 open, 101 below", open, status)
		}
		// The client sees 101 before the server registers the connection;
		// wait for the registration so the next count read is current.
		testkit.Eventually(t, 5*time.Second, func() bool {
			return node.Server.Hub().Stats().ConnectionsAccepted > accepted
		}, "upgraded connection registered")
	}
}

func TestAcceptRateLimitsConnectionStorms(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.AcceptRate = 1
		c.Client.AcceptBurst = 2
	})
	statuses := map[int]int{}
	for i := 0; i < 5; i++ {
		_, status := dialStatus(t, node.WSURL)
		statuses[status]++
	}
	if statuses[http.StatusSwitchingProtocols] < 2 || statuses[http.StatusServiceUnavailable] < 2 {
		t.Fatalf("statuses %v for 5 quick upgrades with rate 1/s burst 2; want the burst admitted and the rest refused with 503", statuses)
	}
	if got := metricValue(t, node, `liveroom_connections_refused_total{reason="accept_rate"}`); got != float64(statuses[http.StatusServiceUnavailable]) {
		t.Fatalf("connections refused by the accept rate in the metrics: %v; want %d", got, statuses[http.StatusServiceUnavailable])
	}
}

// Many connections of one user at once: exactly the first ones up to the
// limit get in, the rest are refused with 3504. (Counting every record,
// early arrivals were refused for records written after theirs.)
func TestConnectionLimitPerUserUnderASimultaneousRush(t *testing.T) {
	const limit, rush = 10, 30
	node, raws := userLimitNode(t, limit, rush)
	token := node.Token("rush")
	for _, r := range raws { // every connect in flight before any answer is read
		r.Send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}})
	}
	admitted, refused := 0, 0
	for i, r := range raws {
		if err := r.WS.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, data, err := r.WS.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case err == nil && strings.Contains(string(data), `"connect":`):
			admitted++
		case errors.As(err, &ce) && ce.Code == 3504:
			if !strings.Contains(ce.Text, "the most connections allowed (10)") {
				t.Fatalf("connection %d refused with %q; want the reason to state the limit", i, ce.Text)
			}
			refused++
		default:
			t.Fatalf("connection %d: %q %v; want a connect reply or close 3504", i, data, err)
		}
	}
	if admitted != limit || refused != rush-limit {
		t.Fatalf("%d admitted, %d refused of %d simultaneous connects; want %d and %d", admitted, refused, rush, limit, rush-limit)
	}
}

// Connections that close while their connect is being admitted stop
// counting toward the per-user limit at once: a flaky network that drops
// connects mid-way must not lock the user out until the presence TTL
// (60 s here) with "do not reconnect" closes.
func TestAbortedConnectsDoNotHoldPerUserSlots(t *testing.T) {
	const limit, aborted = 5, 40
	node, raws := userLimitNode(t, limit, aborted)
	token := node.Token("flaky")
	for _, r := range raws { // connect, then drop the socket without a close frame
		r.Send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}})
		_ = r.WS.UnderlyingConn().Close()
	}
	// Once the server has processed the aborted connects, the user's
	// whole allowance is free. Well within the 60 s TTL.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var open []*testkit.Raw
		refused := ""
		for i := 0; i < limit; i++ {
			r := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
			r.Send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}})
			if err := r.WS.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
				t.Fatal(err)
			}
			open = append(open, r)
			if _, data, err := r.WS.ReadMessage(); err != nil || !strings.Contains(string(data), `"connect":`) {
				refused = fmt.Sprintf("connection %d of %d: %q %v", i+1, limit, data, err)
				break
			}
		}
		for _, r := range open {
			_ = r.WS.Close()
		}
		if refused == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d aborted connects the user still cannot open %d connections: %s", aborted, limit, refused)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// userLimitNode starts a node whose only connection limit is limit per
// user, and opens n WebSockets to it that have not connected yet.
func userLimitNode(t *testing.T, limit, n int) (*testkit.Node, []*testkit.Raw) {
	t.Helper()
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.MaxConnectionsPerUser = limit
		c.Client.MaxConnectionsPerIP = 0
		c.Client.AcceptRate = 0
	})
	raws := make([]*testkit.Raw, n)
	for i := range raws {
		raws[i] = testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	}
	return node, raws
}
