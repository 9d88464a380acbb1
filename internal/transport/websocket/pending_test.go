package websocket

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// TestPendingLimitClosesWithWhatToDo: a client that pipelines messages
// faster than its session reads them is closed with 3013 once the bytes
// waiting pass the pending limit, and the close reason says what the
// limit is about and what to do (not only "too many requests").
func TestPendingLimitClosesWithWhatToDo(t *testing.T) {
	release := make(chan struct{})
	acc := &testAcceptor{onMsg: func(*testSession, []byte) { <-release }} // the session reads nothing
	cfg := Config{MaxMessageSize: 1024, CloseTimeout: 200 * time.Millisecond}
	ts := startServer(t, cfg, acc)
	t.Cleanup(func() { close(release) }) // before the server's shutdown (cleanups run last-in first-out)
	c := dialUpgraded(t, ts.addr)
	msg := clientFrame(0x81, bytes.Repeat([]byte("x"), 1000))
	full, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	limit := full.pendingLimit()
	for sent := 0; sent <= limit+2*len(msg); sent += len(msg) {
		c.write(msg)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		op, p, err := c.readFrame(deadline)
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		if op != opClose {
			continue
		}
		code, reason := binary.BigEndian.Uint16(p), string(p[2:])
		if code != 3013 || !bytes.Contains(p, []byte("wait for replies")) {
			t.Fatalf("closed with %d %q; want 3013 saying to wait for replies", code, reason)
		}
		t.Logf("closed with %d %q", code, reason)
		return
	}
}
