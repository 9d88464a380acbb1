package hub

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
)

// The connect timeout is for clients that send no connect: a connection
// whose connect command arrived in time stays while the server is still
// answering it (a storm of reconnects can make that take seconds), and
// one that sent nothing is closed as stale.
func TestConnectTimeoutSparesAConnectBeingAnswered(t *testing.T) {
	h, err := New(Config{ConnectTimeout: time.Second}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.writers = newWriterPool(1) // the close frame of the stale one is written through it
	defer h.writers.close()
	for _, tc := range []struct {
		name        string
		connectSeen bool
		wantClosed  bool
	}{
		{"connect received, not yet answered", true, false},
		{"nothing received", false, true},
	} {
		c := &Client{hub: h, id: tc.name, t: &sinkTransport{proto: protocol.TypeJSON}, proto: protocol.TypeJSON}
		c.connectSeen = tc.connectSeen
		later := h.born.Add(c.acceptedAt + 2*time.Second)
		c.sweep(later)
		c.mu.Lock()
		closed := c.state == stateClosed
		c.mu.Unlock()
		if closed != tc.wantClosed {
			t.Errorf("%s: closed %v after twice the connect timeout; want %v", tc.name, closed, tc.wantClosed)
		}
	}
}

// Each connection falls in the same slice of every sweep round (its
// shard mod the slice count), every connection exactly once, whatever
// order the registry lists them in.
func TestSweepSlicesAreStablePerConnection(t *testing.T) {
	const n, slices = 103, 10
	cs := make([]*Client, n)
	for i := range cs {
		cs[i] = &Client{id: fmt.Sprint(i), shard: uint32(i * 7)}
	}
	bounds := make([]int, slices+1)
	var out []*Client
	for round := range 3 {
		listed := append([]*Client(nil), cs...)
		rand.Shuffle(len(listed), func(i, j int) { listed[i], listed[j] = listed[j], listed[i] })
		out = bySweepSlice(listed, out, bounds)
		if len(out) != n || bounds[0] != 0 || bounds[slices] != n {
			t.Fatalf("round %d: %d connections, bounds %v", round, len(out), bounds)
		}
		seen := map[*Client]bool{}
		for k := range slices {
			for _, c := range out[bounds[k]:bounds[k+1]] {
				if int(c.shard%slices) != k || seen[c] {
					t.Fatalf("round %d: connection %s (shard %d) in slice %d, seen before: %v", round, c.id, c.shard, k, seen[c])
				}
				seen[c] = true
			}
		}
		if len(seen) != n {
			t.Fatalf("round %d: %d of %d connections visited", round, len(seen), n)
		}
	}
}

// A round is cut into one slice per 128 connections, at least one (an
// idle node's sweep wakes once a round) and at most one per 10 ms of the
// round.
func TestSweepSlicesFollowTheConnectionCount(t *testing.T) {
	h, err := New(Config{PingInterval: 25 * time.Second, PongTimeout: 8 * time.Second, ConnectTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.sweepInterval(); got != time.Second {
		t.Fatalf("sweep interval %v; want 1s", got)
	}
	for n, want := range map[int]int{0: 1, 1: 1, 128: 1, 129: 2, 1800: 15, 18000: 100, 1 << 20: 100} {
		if got := h.slicesFor(n); got != want {
			t.Errorf("slicesFor(%d) = %d; want %d", n, got, want)
		}
	}
	short, err := New(Config{PingInterval: 100 * time.Millisecond}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := short.slicesFor(18000); got != 2 {
		t.Errorf("with a 25 ms sweep interval: slicesFor(18000) = %d; want 2 (slices at least 10 ms apart)", got)
	}
}
