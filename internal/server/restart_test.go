package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Acknowledged means stored: 1,000 publications, kill -9, restart on the
// same data directory; a client recovering from offset 500 receives
// 501–1000 in order, then live publications continue at 1001.
func TestKill9KeepsAcknowledgedPublications(t *testing.T) {
	dir := t.TempDir()
	ch := "room:restart"
	p := testkit.StartProcess(t, dir)
	var epoch string
	for i := 1; i <= 1000; i++ {
		var out struct {
			Offset uint64 `json:"offset"`
			Epoch  string `json:"epoch"`
		}
		status, err := testkit.CallAPI(p.BaseURL, p.APIKey, "publish", map[string]any{"channel": ch, "data": map[string]int{"n": i}}, &out)
		if err != nil || status != 200 || out.Offset != uint64(i) {
			t.Fatalf("publish %d: status %d offset %d err %v", i, status, out.Offset, err)
		}
		epoch = out.Epoch
	}
	p.Kill9()

	p = testkit.StartProcess(t, dir)
	c := connect(t, centrifuge.NewJsonClient, p.WSURL, centrifuge.Config{Token: p.Token("reader")})
	_, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{
		GetState: func(centrifuge.SubscriptionGetStateEvent) (centrifuge.StreamPosition, error) {
			return centrifuge.StreamPosition{Offset: 500, Epoch: epoch}, nil
		},
	})
	if ev, _ := rec.lastSubscribed(); !ev.Recovered {
		t.Fatalf("subscribed %+v; want recovered after restart", ev)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return rec.count() >= 500 }, "recovered 500 publications")
	status, err := testkit.CallAPI(p.BaseURL, p.APIKey, "publish", map[string]any{"channel": ch, "data": map[string]int{"n": 1001}}, nil)
	if err != nil || status != 200 {
		t.Fatalf("publish after restart: %d %v", status, err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return rec.count() >= 501 }, "live publication after recovery")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.pubs) != 501 {
		t.Fatalf("got %d publications; want 501", len(rec.pubs))
	}
	for i, pub := range rec.pubs {
		want := 501 + i
		var m struct{ N int }
		if err := json.Unmarshal(pub.Data, &m); err != nil {
			t.Fatal(err)
		}
		if pub.Offset != uint64(want) || m.N != want {
			t.Fatalf("publication %d: offset %d data %s; want offset and n %d", i, pub.Offset, pub.Data, want)
		}
	}
}

// SIGTERM: clients get 3001 and the process exits 0.
func TestSigtermDisconnectsWithShutdownCodeAndExitsZero(t *testing.T) {
	p := testkit.StartProcess(t, t.TempDir())
	c := centrifuge.NewJsonClient(p.WSURL, centrifuge.Config{Token: p.Token("leaver"), MinReconnectDelay: time.Minute})
	codes := make(chan uint32, 4)
	c.OnConnecting(func(e centrifuge.ConnectingEvent) { codes <- e.Code })
	connected := make(chan struct{})
	c.OnConnected(func(centrifuge.ConnectedEvent) { close(connected) })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-codes // the initial connecting state
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("not connected")
	}
	code, err := p.Signal(syscall.SIGTERM, 20*time.Second)
	if err != nil || code != 0 {
		t.Fatalf("exit code %d, %v; want 0\n%s", code, err, p.Log())
	}
	select {
	case got := <-codes:
		if got != 3001 {
			t.Fatalf("client moved to connecting with code %d; want 3001 (shutdown)", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal(fmt.Sprintf("client never saw the shutdown disconnect\n%s", p.Log()))
	}
}

// A second process on the same data directory refuses to start, naming the
// holder, and the first keeps serving.
func TestDataDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	first := testkit.StartProcess(t, dir)
	cmd := exec.Command(testkit.Binary(t), "--addr", "127.0.0.1:0", "--data-dir", dir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another liveroom process") {
		t.Fatalf("second process on the same data dir: err %v, output:\n%s", err, out)
	}
	status, err := testkit.CallAPI(first.BaseURL, first.APIKey, "publish", map[string]any{"channel": "room:still", "data": 1}, nil)
	if err != nil || status != 200 {
		t.Fatalf("first process after the refused start: %d %v", status, err)
	}
}

// A second Ctrl-C (or SIGTERM) during a long graceful stop ends the
// process at once; it used to be swallowed, so an operator had to wait out
// the whole drain window or reach for kill -9.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "liveroom.toml")
	if err := os.WriteFile(cfgFile, []byte("[shutdown]\ndrain_window = \"120s\"\ntimeout = \"180s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testkit.StartProcess(t, filepath.Join(dir, "data"), "--config", cfgFile)
	// Two clients: the drain spreads their disconnects over the window, so
	// the second one is at least a minute away.
	for _, user := range []string{"ann", "bob"} {
		raw := testkit.DialRaw(t, p.WSURL, protocol.TypeJSON)
		raw.Connect(p.Token(user))
	}
	if code, err := p.Signal(os.Interrupt, 0); err == nil {
		t.Fatalf("exited with %d at the first signal; want a graceful stop of about a minute", code)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		res, err := http.Get(p.BaseURL + "/readyz")
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusServiceUnavailable
	}, "draining after the first signal")
	if _, err := p.Signal(os.Interrupt, 15*time.Second); err != nil {
		t.Fatalf("second signal: %v\n%s", err, p.Log())
	}
}
