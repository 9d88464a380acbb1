package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	ws "github.com/liveroom-dev/liveroom/internal/transport/websocket"
)

// A node at its WebSocket connection limit refuses upgrades, so /readyz
// says it is not ready (a load balancer then sends new clients elsewhere)
// and names the limit; once a connection closes it is ready again. The
// limit comes from the open-file limit, set low here.
func TestReadyzSaysWhenTheConnectionLimitIsReached(t *testing.T) {
	const fileLimit = 320
	limit := ws.ConnectionsForDescriptors(fileLimit)
	p := testkit.StartProcessWithFileLimit(t, t.TempDir(), fileLimit)
	ready := func() (int, string) {
		resp, err := http.Get(p.BaseURL + "/readyz")
		if err != nil {
			t.Fatalf("readyz: %v", err)
		}
		defer resp.Body.Close()
		var body struct{ Status, Reason string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("readyz body: %v", err)
		}
		return resp.StatusCode, body.Reason
	}
	waitFor := func(what string, want int, reason string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			status, got := ready()
			if status == want && strings.Contains(got, reason) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: readyz %d %q; want %d with %q", what, status, got, want, reason)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("after start", http.StatusOK, "")

	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conns := make([]*websocket.Conn, 0, limit)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := 0; i < limit; i++ {
		c, _, err := d.Dial(p.WSURL, nil)
		if err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, limit, err)
		}
		conns = append(conns, c)
	}
	waitFor("at the limit", http.StatusServiceUnavailable, fmt.Sprintf("connection limit (%d of %d open", limit, limit))
	if _, resp, err := d.Dial(p.WSURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("an upgrade past the limit: err %v; want it refused with 503", err)
	}

	_ = conns[0].Close()
	conns = conns[1:]
	waitFor("after one closed", http.StatusOK, "")
}
