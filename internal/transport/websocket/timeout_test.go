package websocket

import (
	"bytes"
	"testing"
	"time"
)

// C07 step 3: connections that stop in the middle of a frame are closed
// with 1008 after FrameTimeout; an idle connection between frames and a
// busy one whose reads never end on a frame boundary are not.
func TestStalledFrameClosed(t *testing.T) {
	const ft = 200 * time.Millisecond
	acc := &testAcceptor{echo: true}
	ts := startServer(t, Config{FrameTimeout: ft, CloseTimeout: 200 * time.Millisecond}, acc)

	idle := dialUpgraded(t, ts.addr)
	busy := dialUpgraded(t, ts.addr)
	busyDone := make(chan int)
	go func() {
		// Frames written in pieces that straddle frame boundaries, for
		// several FrameTimeouts, so a partial frame is almost always held.
		var stream []byte
		for range 60 {
			stream = append(stream, clientFrame(bitFIN|opText, []byte("0123456789"))...)
		}
		sent := 0
		for len(stream) > 0 {
			n := min(7, len(stream))
			if _, err := busy.nc.Write(stream[:n]); err != nil {
				break
			}
			stream = stream[n:]
			sent += n
			time.Sleep(3 * time.Millisecond) // pacing, not synchronisation
		}
		busyDone <- sent
	}()

	stalls := map[string][]byte{
		"2 header bytes":      clientFrame(bitFIN|opText, []byte("abc"))[:2],
		"header, no mask key": clientFrame(bitFIN|opText, []byte("abc"))[:4],
		"half a payload":      clientFrame(bitFIN|opText, bytes.Repeat([]byte("a"), 100))[:56],
		"open fragmented msg": clientFrame(opText, []byte("first part")),
		"half a ping":         clientFrame(bitFIN|opPing, []byte("ping!"))[:8],
	}
	conns := map[string]*rawConn{}
	start := time.Now()
	for name, b := range stalls {
		c := dialUpgraded(t, ts.addr)
		c.write(b)
		conns[name] = c
	}
	for name, c := range conns {
		if got := c.expectCloseWithin(ft + time.Second); got != closePolicyViolation {
			t.Fatalf("%s: close %d, want 1008", name, got)
		}
		c.expectEOF(time.Second)
	}
	elapsed := time.Since(start)
	if elapsed < ft {
		t.Fatalf("closed after %v, before FrameTimeout", elapsed)
	}
	t.Logf("stalled connections closed after %v (FrameTimeout %v)", elapsed, ft)

	// A slow trickle of one message is still a stall: the budget covers the
	// whole message, not each byte.
	trickle := dialUpgraded(t, ts.addr)
	frame := clientFrame(bitFIN|opText, bytes.Repeat([]byte("t"), 100))
	trickleStart := time.Now()
	go func() {
		for i := range frame {
			if _, err := trickle.nc.Write(frame[i : i+1]); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond) // pacing
		}
	}()
	if got := trickle.expectCloseWithin(ft + time.Second); got != closePolicyViolation {
		t.Fatalf("trickle: close %d, want 1008", got)
	}
	t.Logf("trickle closed after %v", time.Since(trickleStart))

	// The idle connection has outlived several FrameTimeouts and still works.
	idle.write(clientFrame(bitFIN|opText, []byte("still here")))
	if op, p, err := idle.readFrame(time.Now().Add(10 * time.Second)); err != nil || op != opText || string(p) != "still here" {
		t.Fatalf("idle connection: op %d %q %v", op, p, err)
	}
	sent := <-busyDone
	if sent != 60*16 {
		t.Fatalf("busy connection cut after %d bytes", sent)
	}
	for i := range 60 {
		if op, p, err := busy.readFrame(time.Now().Add(10 * time.Second)); err != nil || op != opText || string(p) != "0123456789" {
			t.Fatalf("busy echo %d: op %d %q %v", i, op, p, err)
		}
	}
}

// The sweeper visits only connections that had a frame in progress: a
// connection enters its set when a read ends mid-frame and leaves it at the
// first sweep after the frame completes, so idle connections cost the
// sweeper nothing however many there are.
func TestSweeperVisitsOnlyPartialFrames(t *testing.T) {
	acc := &testAcceptor{echo: true}
	ts := startServer(t, Config{FrameTimeout: 10 * time.Second}, acc)
	inSet := func() int {
		ts.partialMu.Lock()
		defer ts.partialMu.Unlock()
		return len(ts.partial)
	}
	var idle []*rawConn
	for range 5 {
		c := dialUpgraded(t, ts.addr)
		c.write(clientFrame(bitFIN|opText, []byte("whole")))
		if _, _, err := c.readFrame(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatalf("echo: %v", err)
		}
		idle = append(idle, c)
	}
	if n := inSet(); n != 0 {
		t.Fatalf("%d connections in the sweeper's set after whole frames only; want 0", n)
	}
	half := dialUpgraded(t, ts.addr)
	frame := clientFrame(bitFIN|opText, []byte("two halves"))
	half.write(frame[:5])
	waitFor(t, 10*time.Second, "the half-sent frame's connection in the set", func() bool { return inSet() == 1 })
	half.write(frame[5:])
	if op, p, err := half.readFrame(time.Now().Add(10 * time.Second)); err != nil || op != opText || string(p) != "two halves" {
		t.Fatalf("completed frame: op %d %q %v", op, p, err)
	}
	// The next sweep (every 500 ms here) finds nothing in progress.
	waitFor(t, 10*time.Second, "the set empty once the frame completed", func() bool { return inSet() == 0 })
	for i, c := range idle { // untouched by the sweeper
		c.write(clientFrame(bitFIN|opText, []byte("still here")))
		if op, p, err := c.readFrame(time.Now().Add(10 * time.Second)); err != nil || op != opText || string(p) != "still here" {
			t.Fatalf("idle connection %d: op %d %q %v", i, op, p, err)
		}
	}
}
