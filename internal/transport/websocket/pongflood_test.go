package websocket

import (
	"bytes"
	"testing"
	"time"
)

// A client that floods pings and never reads cannot grow its connection's
// queue without bound: past maxPongBacklog the pong waits (later pings
// replace it, RFC 6455 §5.5.3), the connection stays open, and once the
// client reads, the latest ping is answered.
func TestPingFloodWithoutReadingIsBounded(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)
	c := dialUpgraded(t, ts.addr)
	s := acc.waitSession(t, 0)

	ping := clientFrame(bitFIN|opPing, bytes.Repeat([]byte("p"), maxControlPayload))
	burst := bytes.Repeat(ping, 1000) // 131 KB of pings: 127 KB of pongs
	peak := 0
	for range 200 { // 26 MB of pongs, far beyond what the kernel buffers hold
		c.write(burst)
		peak = max(peak, s.tr.Buffered())
	}
	waitFor(t, 10*time.Second, "a pong to wait", func() bool { return ts.Stats().PongsDeferred > 0 })
	pongFrame := 2 + maxControlPayload
	if limit := maxPongBacklog + pongFrame; peak > limit || s.tr.Buffered() > limit {
		t.Fatalf("Buffered reached %d (now %d) while the client only pinged; want at most %d", peak, s.tr.Buffered(), limit)
	}

	// The last ping, sent while the backlog is still full, is answered once
	// the client reads what was queued before it.
	c.write(clientFrame(bitFIN|opPing, []byte("still there?")))
	deadline := time.Now().Add(20 * time.Second)
	for {
		op, p, err := c.readFrame(deadline)
		if err != nil {
			t.Fatalf("reading the pongs: %v (deferred %d)", err, ts.Stats().PongsDeferred)
		}
		if op == opPong && string(p) == "still there?" {
			break
		}
		if op != opPong {
			t.Fatalf("frame op %d while only pongs were due", op)
		}
	}
	if s.closeCount() != 0 {
		t.Fatal("the session was closed by the ping flood")
	}
}
