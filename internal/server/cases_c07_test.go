package server_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C07: slowloris before the upgrade and silent sockets after it. Timeouts
// are small configuration values here: header timeout H = 1 s, connect
// timeout A = 1 s, frame timeout F = 500 ms (below A, so a stalled frame is
// what closes step 3's sockets), write timeout 1 s, pings every 300 ms.
//
// The case opens 1,000 connections of each kind; this test opens 100 of
// each: the behaviour per connection is the same, and 100 keeps the run
// short on a shared 2-core machine under the race detector while still
// showing a per-connection leak in the goroutine count.
func TestC07SlowlorisAndSilentSockets(t *testing.T) {
	const n = 100
	const H, A, F, W = time.Second, time.Second, 500 * time.Millisecond, time.Second
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.HandshakeTimeout = config.Duration(H)
		c.Client.ConnectTimeout = config.Duration(A)
		c.Client.FrameTimeout = config.Duration(F)
		c.Client.WriteTimeout = config.Duration(W)
		c.Client.PingInterval = config.Duration(300 * time.Millisecond)
		c.Client.PongTimeout = config.Duration(200 * time.Millisecond)
	})
	addr := strings.TrimPrefix(node.BaseURL, "http://")

	// Step 5's client connects first and only exchanges protocol pings for
	// 3 × max(H, write timeout) while the attack runs.
	pinger := dialP(t, node.WSURL)
	pinger.connect(node.Token("pinger"))
	if rep := pinger.call(subCmd("personal:pinger")); rep.Error != nil {
		t.Fatalf("pinger subscribe: %+v", rep.Error)
	}
	node.Publish("room:c07-warmup", 0) // the API's keep-alive connection exists before the baseline
	baseline := runtime.NumGoroutine()
	pingDone, pingExited := make(chan error, 1), make(chan struct{})
	go func() { defer close(pingExited); pingDone <- pingOnly(pinger.ws, 3*max(H, W)) }()
	t.Cleanup(func() { _ = pinger.ws.Close(); <-pingExited })

	type result struct {
		kind    string
		elapsed time.Duration
		code    int
		err     error
	}
	results := make(chan result, 3*n)
	var readers sync.WaitGroup
	t.Cleanup(readers.Wait) // runs after the cleanups below have closed every connection
	stopTrickle := make(chan struct{})
	var trickleWG sync.WaitGroup

	// Step 1: request line, then one header line every 200 ms.
	var trickling []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		start := time.Now()
		if _, err := io.WriteString(c, "GET /connection/websocket HTTP/1.1\r\nHost: "+addr+"\r\n"); err != nil {
			t.Fatal(err)
		}
		trickling = append(trickling, c)
		readers.Add(1)
		go func() {
			defer readers.Done()
			_ = c.SetReadDeadline(start.Add(H + 5*time.Second))
			got, err := io.ReadAll(c) // until the server closes it (EOF or reset)
			var ne net.Error
			switch {
			case bytes.Contains(got, []byte(" 101 ")):
				err = fmt.Errorf("upgraded: %q", got)
			case errors.As(err, &ne) && ne.Timeout():
				err = fmt.Errorf("still open after %s", time.Since(start))
			default:
				err = nil
			}
			results <- result{kind: "trickled headers", elapsed: time.Since(start), err: err}
		}()
	}
	trickleWG.Add(1)
	go func() {
		defer trickleWG.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-stopTrickle:
				return
			case <-tick.C:
			}
			for _, c := range trickling {
				_, _ = fmt.Fprintf(c, "X-Trickle-%d: x\r\n", k) // fails once closed
			}
		}
	}()
	defer func() { close(stopTrickle); trickleWG.Wait() }()

	// Step 3: upgraded, then 2 bytes of a frame header.
	for i := 0; i < n; i++ {
		a := upgradeTCP(t, node)
		a.write([]byte{finBit | opText, 0x85})
		start := time.Now()
		readers.Add(1)
		go func() {
			defer readers.Done()
			code, err := readCloseCode(a, start.Add(F+5*time.Second))
			results <- result{kind: "stalled frame", elapsed: time.Since(start), code: code, err: err}
		}()
	}

	// Step 2: upgraded, then silent.
	for i := 0; i < n; i++ {
		ws, _, err := websocket.DefaultDialer.Dial(node.WSURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
		start := time.Now()
		readers.Add(1)
		go func() {
			defer readers.Done()
			_ = ws.SetReadDeadline(start.Add(A + 5*time.Second))
			_, _, err := ws.ReadMessage()
			r := result{kind: "silent", elapsed: time.Since(start), err: err}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				r.code, r.err = ce.Code, nil
			}
			results <- r
		}()
	}

	// Step 4, while those are pending: a normal client connects,
	// subscribes and receives a publication. (Its latency is a benchmark
	// figure; here it only has to get through while the attack is on.)
	// On a loaded machine the first attackers may already have been cut
	// (that is the defence working); at least one wave must still be open.
	if open := node.Server.Hub().Stats().ConnectionsOpen; open < n {
		t.Fatalf("%d connections open before the normal client; the attack should hold at least %d of its %d", open, n, 2*n)
	}
	normal := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("normal")})
	_, rec := subscribe(t, normal, "room:c07-normal", centrifuge.SubscriptionConfig{})
	node.Publish("room:c07-normal", "hello")
	testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() == 1 }, "the normal client receives a publication during the attack")
	normal.Close()

	readers.Wait()
	close(results)
	limits := map[string]time.Duration{"trickled headers": H + time.Second, "silent": A + time.Second, "stalled frame": F + time.Second}
	codes := map[string]int{"trickled headers": 0, "silent": 3502, "stalled frame": 1008}
	for r := range results {
		if r.err != nil {
			t.Fatalf("%s: %v", r.kind, r.err)
		}
		if r.elapsed > limits[r.kind] || r.code != codes[r.kind] {
			t.Fatalf("%s: closed with %d after %s; want %d within %s", r.kind, r.code, r.elapsed, codes[r.kind], limits[r.kind])
		}
	}
	goroutinesBackTo(t, baseline, 10, 2*max(H, A))

	// Step 5: still connected after 3 × max(H, write timeout), and a
	// publication arrives.
	if err := <-pingDone; err != nil {
		t.Fatalf("ping-only client: %v", err)
	}
	node.Publish("personal:pinger", "still here")
	pinger.until(5*time.Second, func() bool { return len(pinger.pubs("personal:pinger")) == 1 }, "the publication on the ping-only connection")
}

// pingOnly answers server pings with pongs until d has passed; anything
// else the server sends is an error.
func pingOnly(ws *websocket.Conn, d time.Duration) error {
	end := time.Now().Add(d)
	pings := 0
	for time.Now().Before(end) {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("after %d pings: %w", pings, err)
		}
		if string(data) != "{}" {
			return fmt.Errorf("unexpected frame %q", data)
		}
		pings++
		if err := ws.WriteMessage(websocket.TextMessage, []byte("{}")); err != nil {
			return err
		}
	}
	if pings < 3 {
		return fmt.Errorf("only %d pings in %s", pings, d)
	}
	return nil
}

// readCloseCode reads server frames until a close frame (without testing.T,
// for goroutines).
func readCloseCode(a *tcpWS, deadline time.Time) (int, error) {
	for {
		op, p, err := a.readFrame(deadline)
		if err != nil {
			return 0, fmt.Errorf("no close frame: %w", err)
		}
		if op == opClose && len(p) >= 2 {
			return int(binary.BigEndian.Uint16(p)), nil
		}
	}
}
