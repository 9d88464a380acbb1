package hub

import (
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
