package netpoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// A queue that never empties (a peer that reads just as fast as we write)
// does not keep what it already wrote: its buffer stays near what is
// queued, not what went through it.
func TestNeverEmptyQueueDoesNotGrow(t *testing.T) {
	p := newPoller(t, Config{})
	r := newRecorder()
	client, c := pair(t, p, r)
	chunk := bytes.Repeat([]byte("q"), 1<<20)
	for range 8 { // 8 MB: the kernel buffers fill and the rest queues
		if _, err := c.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if c.queued() == 0 {
		t.Fatal("nothing queued: the test did not exercise the queue")
	}
	buf := make([]byte, len(chunk))
	total := 8 * len(chunk)
	read := 0
	peak := 0
	for range 48 { // 48 MB through a queue that stays non-empty
		_ = client.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Fatal(err)
		}
		read += len(buf)
		if _, err := c.Write(chunk); err != nil {
			t.Fatal(err)
		}
		total += len(chunk)
		peak = max(peak, c.footprint())
	}
	if limit := 3 * (8<<20 + WriteChunk); peak > limit {
		t.Fatalf("write queue buffer reached %d bytes with at most %d queued; it keeps written bytes", peak, 8<<20)
	}
	rest := make([]byte, total-read)
	_ = client.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(client, rest); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "OnWritten to account for every byte", func() bool { return r.written.Load() == int64(total) })
}

// Adds racing with Stop either fail with ErrStopped or are closed by it:
// when Stop returns, every added connection has had exactly one OnClose.
func TestAddRacingStop(t *testing.T) {
	p, err := New(Config{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const n = 64
	servers := make([]net.Conn, 0, n)
	for range n {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close() // Add leaves it to the caller on an error
		servers = append(servers, s)
	}
	recs := make([]*recorder, n)
	added := make([]bool, n)
	var wg sync.WaitGroup
	for i, s := range servers {
		recs[i] = newRecorder()
		wg.Go(func() {
			_, err := p.Add(s, recs[i])
			switch {
			case err == nil:
				added[i] = true
			case !errors.Is(err, ErrStopped):
				t.Errorf("Add = %v; want nil or ErrStopped", err)
			}
		})
		if i == n/2 {
			wg.Go(p.Stop)
		}
	}
	wg.Wait()
	p.Stop()
	for i := range n {
		want := int32(0)
		if added[i] {
			want = 1
		}
		if got := recs[i].closes.Load(); got != want {
			t.Fatalf("connection %d (added %v): OnClose called %d times after Stop", i, added[i], got)
		}
	}
}
