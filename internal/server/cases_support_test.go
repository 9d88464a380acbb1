package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// apiPoster calls the server API from any goroutine, reusing connections.
type apiPoster struct {
	node   *testkit.Node
	client *http.Client
}

func newAPIPoster(t testing.TB, node *testkit.Node) *apiPoster {
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiPoster{node: node, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// publish publishes JSON data and returns the offset.
func (a *apiPoster) publish(channel string, data []byte) (uint64, error) {
	body, _ := json.Marshal(map[string]any{"channel": channel, "data": json.RawMessage(data)})
	req, _ := http.NewRequest(http.MethodPost, a.node.BaseURL+"/api/publish", bytes.NewReader(body))
	req.Header.Set("X-API-Key", a.node.APIKey)
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Offset uint64 `json:"offset"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("publish to %s: %d %s", channel, resp.StatusCode, raw)
	}
	err = json.Unmarshal(raw, &out)
	return out.Offset, err
}

// presenceUsers lists a channel's presence through the API: client id → user.
func presenceUsers(t testing.TB, node *testkit.Node, channel string) map[string]string {
	t.Helper()
	var out struct {
		Presence map[string]struct {
			User string `json:"user"`
		} `json:"presence"`
	}
	if status := node.API("presence", map[string]string{"channel": channel}, &out); status != http.StatusOK {
		t.Fatalf("presence %s: status %d", channel, status)
	}
	m := make(map[string]string, len(out.Presence))
	for id, ci := range out.Presence {
		m[id] = ci.User
	}
	return m
}

// witness is a healthy client W that must keep receiving publications
// made through the API while a test attacks the server.
type witness struct {
	t     *testing.T
	node  *testkit.Node
	ch    string
	rec   *recorder
	sent  int
	drops atomic.Int32 // disconnects seen by W's client
}

func newWitness(t *testing.T, node *testkit.Node, ch string) *witness {
	t.Helper()
	c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("witness")})
	w := &witness{t: t, node: node, ch: ch}
	c.OnDisconnected(func(centrifuge.DisconnectedEvent) { w.drops.Add(1) })
	_, w.rec = subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
	return w
}

// check publishes one message through the API and waits until W has it.
func (w *witness) check(step string) {
	w.t.Helper()
	w.sent++
	w.node.Publish(w.ch, map[string]any{"step": step, "n": w.sent})
	want := w.sent
	testkit.Eventually(w.t, 10*time.Second, func() bool { return w.rec.count() >= want }, "witness got publication %d (after %s)", want, step)
	if got := w.rec.count(); got != want {
		w.t.Fatalf("witness has %d publications after %s; want %d", got, step, want)
	}
	if n := w.drops.Load(); n != 0 {
		w.t.Fatalf("witness disconnected %d times by %s; want never", n, step)
	}
}

// goroutinesBackTo polls until the goroutine count is at most baseline +
// margin.
func goroutinesBackTo(t *testing.T, baseline, margin int, d time.Duration) {
	t.Helper()
	testkit.Eventually(t, d, func() bool { return runtime.NumGoroutine() <= baseline+margin },
		"goroutines back to baseline %d (+%d); now %d", baseline, margin, runtime.NumGoroutine())
}
