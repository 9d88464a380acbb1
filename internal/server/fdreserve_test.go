package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	ws "github.com/liveroom-dev/liveroom/internal/transport/websocket"
)

// Plain HTTP connections count against the descriptors too: a flood of
// idle keep-alive connections (no credentials needed) is held to the
// listener's limit, the rest answered 503 and closed, so the store still
// opens the files it needs (a first write to a namespace opens a block
// file) and the backend's connection keeps working. Without the count the
// flood took every descriptor and the store failed until a restart.
func TestIdleHTTPConnectionsLeaveTheStoreItsDescriptors(t *testing.T) {
	const fileLimit = 320
	limit := ws.ConnectionsForDescriptors(fileLimit)
	p := testkit.StartProcessWithFileLimit(t, t.TempDir(), fileLimit)
	backend := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
	call := func(method string, body any) (int, string) {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, p.BaseURL+"/api/"+method, bytes.NewReader(data))
		req.Header.Set("X-API-Key", p.APIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := backend.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if status, body := call("publish", map[string]any{"channel": "room:before", "data": 1}); status != 200 {
		t.Fatalf("publish before the flood: %d %s", status, body)
	}

	// The flood: more connections than the process has descriptors, each
	// sending one request and staying open.
	const flood = fileLimit + 10
	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	addr := strings.TrimPrefix(p.BaseURL, "http://")
	for i := 0; i < flood; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		_, _ = fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	}
	served, refused := 0, 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		switch {
		case strings.HasPrefix(line, "HTTP/1.1 200"):
			served++
		case err != nil || strings.HasPrefix(line, "HTTP/1.1 503"):
			refused++
		default:
			t.Fatalf("unexpected answer %q", line)
		}
	}
	t.Logf("%d served, %d refused", served, refused)
	if served == 0 || served > limit || refused == 0 {
		t.Fatalf("of %d connections %d were served and %d refused; want between 1 and %d served, the rest refused", flood, served, refused, limit)
	}

	// While the served ones stay open: a first write to another namespace
	// (a new block file) is stored, and the node is ready.
	if status, body := call("publish", map[string]any{"channel": "personal:flood", "data": 2}); status != 200 {
		t.Fatalf("publish during the flood: %d %s", status, body)
	}
	resp, err := backend.Get(p.BaseURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	// Read to the end: the client reuses only a connection whose body was
	// read, and a new one would be refused at the limit.
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz during the flood: %d; want 200 (the store is healthy, clients have room)", resp.StatusCode)
	}

	// The refusals and the limit show on /metrics (read over the backend's
	// connection: a new one would be refused now).
	mresp, err := backend.Get(p.BaseURL + "/metrics")
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Log())
	}
	var metrics bytes.Buffer
	_, _ = metrics.ReadFrom(mresp.Body)
	_ = mresp.Body.Close()
	for _, want := range []string{
		fmt.Sprintf("liveroom_listener_connections_limit %d\n", limit),
		fmt.Sprintf("liveroom_listener_connections %d\n", limit),
	} {
		if !strings.Contains(metrics.String(), want) {
			t.Fatalf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
	if !strings.Contains(metrics.String(), "liveroom_listener_refused_total ") || strings.Contains(metrics.String(), "liveroom_listener_refused_total 0\n") {
		t.Fatal("/metrics does not count the refused connections (liveroom_listener_refused_total)")
	}

	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	if status, body := call("publish", map[string]any{"channel": "personal:after", "data": 3}); status != 200 {
		t.Fatalf("publish after the flood: %d %s", status, body)
	}
}
