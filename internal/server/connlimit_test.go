package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
	ws "github.com/liveroom-dev/liveroom/internal/transport/websocket"
)

// WebSocket connections and SSE streams count against one connection
// limit, set by the open-file limit (low here). At the limit both are
// refused with 503 and /readyz says the node is not ready (a load balancer
// then sends new clients elsewhere), naming the limit; once one closes,
// the node is ready again and the place can go to either transport.
func TestConnectionLimitCoversEveryTransport(t *testing.T) {
	const fileLimit = 320
	limit := connlimit.ClientsOf(ws.ConnectionsForDescriptors(fileLimit))
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

	// Half the places to WebSocket connections, half to SSE streams: they
	// count against one limit.
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	var wsConns []*websocket.Conn
	var streams []*http.Response
	defer func() {
		for _, c := range wsConns {
			_ = c.Close()
		}
		for _, r := range streams {
			_ = r.Body.Close()
		}
	}()
	sseURL := func(user string) string {
		cmd := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`, p.Token(user))
		return p.BaseURL + "/connection/sse?cf_connect=" + url.QueryEscape(cmd)
	}
	for i := 0; i < limit; i++ {
		if i%2 == 0 {
			c, _, err := d.Dial(p.WSURL, nil)
			if err != nil {
				t.Fatalf("connection %d of %d (WebSocket): %v", i+1, limit, err)
			}
			wsConns = append(wsConns, c)
			continue
		}
		resp, err := http.Get(sseURL(fmt.Sprintf("u%d", i)))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("connection %d of %d (SSE): %v %v", i+1, limit, resp, err)
		}
		streams = append(streams, resp)
	}
	waitFor("at the limit", http.StatusServiceUnavailable, fmt.Sprintf("connection limit (%d of %d open", limit, limit))
	if _, resp, err := d.Dial(p.WSURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || !resp.Close {
		t.Fatalf("an upgrade past the limit: err %v; want it refused with 503 and the connection closed", err)
	}
	resp, err := http.Get(sseURL("late"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !resp.Close {
		t.Fatalf("an SSE stream past the limit: %d, Retry-After %q, close %v; want 503 with Retry-After, not kept alive (a refused client would hold the room left for plain HTTP)",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close)
	}

	// An SSE stream ends: its place goes to the next WebSocket client.
	_ = streams[0].Body.Close()
	streams = streams[1:]
	waitFor("after one stream closed", http.StatusOK, "")
	c, _, err := d.Dial(p.WSURL, nil)
	if err != nil {
		t.Fatalf("an upgrade after a stream closed: %v", err)
	}
	wsConns = append(wsConns, c)
}
