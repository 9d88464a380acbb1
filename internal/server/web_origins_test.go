package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// upgradeEndpoints are the paths that upgrade to a WebSocket connection;
// the streaming endpoints (SSE, HTTP-streaming, emulation) have their own
// test in web_streams_test.go, behind the same origin guard.
var upgradeEndpoints = []string{"/connection/websocket"}

// dialWith opens a WebSocket to path with the given headers; on a refused
// handshake it returns the HTTP status.
func dialWith(t *testing.T, node *testkit.Node, path string, h http.Header) (*pclient, int) {
	t.Helper()
	url := strings.Replace(node.BaseURL, "http://", "ws://", 1) + path
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(url, h)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial %s: %v", path, err)
		}
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	return newP(t, ws), http.StatusSwitchingProtocols
}

func originHeader(o string) http.Header {
	h := http.Header{}
	if o != "" {
		h.Set("Origin", o)
	}
	return h
}

// Origins are compared exactly on every upgrade endpoint: only the
// allowed origin gets a connection; look-alike hosts, other schemes or
// ports, and "null" are refused before the upgrade with 403. Without an
// Origin header (native and server clients) the upgrade goes through, but
// the connection must then present a token, even where anonymous
// connections are allowed.
func TestOriginsOnEveryUpgradeEndpoint(t *testing.T) {
	t.Run("own origin", func(t *testing.T) {
		node := testkit.Start(t, func(c *config.Config) { c.Client.AllowAnonymous = true })
		own := node.BaseURL // http://127.0.0.1:PORT
		port := own[strings.LastIndexByte(own, ':')+1:]
		checkOrigins(t, node, own, []string{
			"https://127.0.0.1:" + port, // other scheme
			"http://127.0.0.1:1",        // other port
			"http://127.0.0.1",          // no port
			"http://localhost:" + port,  // another name of the same machine is another origin
			"http://127.0.0.1." + port,  // malformed look-alike
			"http://127.0.0.1:" + port + ".evil.example",
			"http://127.0.0.1:" + port + "@evil.example",
			"null",
		})
	})
	t.Run("allowed list", func(t *testing.T) {
		node := testkit.Start(t, func(c *config.Config) {
			c.Client.AllowAnonymous = true
			c.Web.AllowedOrigins = []string{"https://app.example.com"}
		})
		checkOrigins(t, node, "https://app.example.com", []string{
			node.BaseURL,                       // its own origin is not listed
			"http://app.example.com",           // other scheme
			"https://app.example.com:8443",     // other port
			"https://app.example.com.evil.net", // look-alike suffix
			"https://evil-app.example.com",     // look-alike prefix
			"https://app.example.co",           // look-alike TLD
			"https://app.examp1e.com",          // one character off
			"https://app.ex\u0430mple.com",     // Cyrillic а
			"https://app.example.com.",         // trailing dot
			"https://app.example.com/",         // with a path
			"null",
		})
	})
}

func checkOrigins(t *testing.T, node *testkit.Node, allowed string, refused []string) {
	series := `liveroom_connections_refused_total{reason="origin"}`
	before := metricValue(t, node, series)
	defer func() {
		if got, want := metricValue(t, node, series)-before, float64(len(upgradeEndpoints)*(len(refused)+1)); got != want {
			t.Errorf("upgrades refused for their origin in the metrics: %v; want %v", got, want)
		}
	}()
	for _, path := range upgradeEndpoints {
		for _, o := range refused {
			if _, status := dialWith(t, node, path, originHeader(o)); status != http.StatusForbidden {
				t.Errorf("%s with Origin %q: status %d; want 403", path, o, status)
			}
		}
		twice := http.Header{"Origin": {allowed, allowed}}
		if _, status := dialWith(t, node, path, twice); status != http.StatusForbidden {
			t.Errorf("%s with Origin sent twice: status %d; want 403", path, status)
		}

		// The allowed origin connects, anonymously even (allowed here).
		c, status := dialWith(t, node, path, originHeader(allowed))
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("%s with Origin %q: status %d; want 101", path, allowed, status)
		}
		if rep := c.call(&protocol.Command{Connect: &protocol.ConnectRequest{}}); rep.Connect == nil {
			t.Fatalf("%s: anonymous connect from an allowed origin: %+v", path, rep)
		}

		// No Origin: the upgrade works, but not without a token.
		c, status = dialWith(t, node, path, nil)
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("%s without Origin: status %d; want 101", path, status)
		}
		if err := c.send(&protocol.Command{Connect: &protocol.ConnectRequest{}}); err != nil {
			t.Fatal(err)
		}
		if code, reason := c.closed(5 * time.Second); code != 3500 || !strings.Contains(reason, "Origin") {
			t.Fatalf("%s: anonymous connect without Origin closed with %d %q; want 3500 naming the missing Origin", path, code, reason)
		}
		c, _ = dialWith(t, node, path, nil)
		if res := c.connect(node.Token("native-app")); res.Client == "" {
			t.Fatalf("%s: token connect without Origin: %+v", path, res)
		}
		if open := node.Server.Hub().Stats().ConnectionsOpen; open < 1 {
			t.Fatalf("no connection open after the token connect")
		}
	}
}
