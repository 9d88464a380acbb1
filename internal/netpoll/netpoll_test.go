package netpoll

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a Handler that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	data    bytes.Buffer
	written atomic.Int64
	closes  atomic.Int32
	err     error
	closed  chan struct{}
	onData  func(p []byte)
}

func newRecorder() *recorder { return &recorder{closed: make(chan struct{})} }

func (r *recorder) OnData(p []byte) {
	r.mu.Lock()
	r.data.Write(p)
	r.mu.Unlock()
	if r.onData != nil {
		r.onData(p)
	}
}

func (r *recorder) OnWritten(n int) { r.written.Add(int64(n)) }

func (r *recorder) OnClose(err error) {
	if r.closes.Add(1) == 1 {
		r.err = err
		close(r.closed)
	}
}

func (r *recorder) received() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.data.Bytes())
}

// pair returns a client socket and the server side handed to p.
func pair(t *testing.T, p *Poller, h Handler) (net.Conn, *Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Add(srv, h)
	if err != nil {
		t.Fatal(err)
	}
	return client, c
}

func newPoller(t *testing.T, cfg Config) *Poller {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitClosed(t *testing.T, r *recorder) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnClose was not called")
	}
}

// Bytes written by many clients reach their own handler, whole and in
// order, and what the handler writes back reaches the right client.
func TestDataReachesTheRightConnectionInOrder(t *testing.T) {
	p := newPoller(t, Config{Loops: 2, ReadBufferSize: 512})
	const conns, chunks = 40, 50
	type end struct {
		client net.Conn
		rec    *recorder
		srv    *Conn
	}
	ends := make([]end, conns)
	for i := range ends {
		r := newRecorder()
		client, c := pair(t, p, r)
		ends[i] = end{client, r, c}
	}
	want := func(i int) []byte {
		var b bytes.Buffer
		for k := range chunks {
			fmt.Fprintf(&b, "conn %d chunk %d %s\n", i, k, bytes.Repeat([]byte{'x'}, k*7))
		}
		return b.Bytes()
	}
	var wg sync.WaitGroup
	for i, e := range ends {
		wg.Go(func() {
			b := want(i)
			for len(b) > 0 { // uneven pieces
				n := min(len(b), 1+len(b)%613)
				if _, err := e.client.Write(b[:n]); err != nil {
					t.Error(err)
					return
				}
				b = b[n:]
			}
		})
	}
	wg.Wait()
	for i, e := range ends {
		w := want(i)
		waitFor(t, fmt.Sprintf("conn %d's bytes", i), func() bool { return len(e.rec.received()) >= len(w) })
		if got := e.rec.received(); !bytes.Equal(got, w) {
			t.Fatalf("conn %d received %d bytes that differ from the %d sent", i, len(got), len(w))
		}
		reply := []byte(fmt.Sprintf("reply to %d", i))
		if n, err := e.srv.Write(reply); err != nil || n != len(reply) {
			t.Fatalf("Write = %d, %v", n, err)
		}
		got := make([]byte, len(reply))
		_ = e.client.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(e.client, got); err != nil || !bytes.Equal(got, reply) {
			t.Fatalf("conn %d read %q (%v); want %q", i, got, err, reply)
		}
		if e.rec.written.Load() != int64(len(reply)) {
			t.Fatalf("OnWritten reported %d bytes; want %d", e.rec.written.Load(), len(reply))
		}
	}
}

// A write larger than the socket takes is queued and flushed as the peer
// reads; OnWritten adds up to every byte, and nothing is reordered.
func TestQueuedWritesFlushInOrder(t *testing.T) {
	p := newPoller(t, Config{})
	r := newRecorder()
	client, c := pair(t, p, r)
	var want bytes.Buffer
	for i := range 2000 { // ≈ 8 MB, far beyond the loopback socket buffers
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, 4096)
		want.Write(msg)
		if _, err := c.Write(msg); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if c.queued() == 0 {
		t.Fatal("nothing was queued: the test did not exercise the flush")
	}
	got := make([]byte, want.Len())
	_ = client.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("bytes arrived out of order or changed")
	}
	waitFor(t, "OnWritten to account for every byte", func() bool { return r.written.Load() == int64(want.Len()) })
}

// Close drops the queue, closes the socket (the peer sees EOF), calls
// OnClose(nil) once, and later calls fail with net.ErrClosed.
func TestCloseEndsTheConnectionOnce(t *testing.T) {
	p := newPoller(t, Config{})
	r := newRecorder()
	client, c := pair(t, p, r)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	waitClosed(t, r)
	if r.err != nil {
		t.Fatalf("OnClose(%v); want nil after Close", r.err)
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close = %v; want net.ErrClosed", err)
	}
	if err := c.Control(func(uintptr) {}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Control after Close = %v; want net.ErrClosed", err)
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer read %d, %v; want EOF", n, err)
	}
	if r.closes.Load() != 1 {
		t.Fatalf("OnClose called %d times", r.closes.Load())
	}
}

// A peer that closes is reported with io.EOF after its last bytes; one
// that resets with an error.
func TestPeerCloseAndReset(t *testing.T) {
	p := newPoller(t, Config{})
	r := newRecorder()
	client, _ := pair(t, p, r)
	_, _ = client.Write([]byte("last words"))
	_ = client.Close()
	waitClosed(t, r)
	if !errors.Is(r.err, io.EOF) || string(r.received()) != "last words" {
		t.Fatalf("OnClose(%v) after %q; want io.EOF after \"last words\"", r.err, r.received())
	}

	r2 := newRecorder()
	client2, c2 := pair(t, p, r2)
	_ = client2.(*net.TCPConn).SetLinger(0) // close sends RST
	_ = client2.Close()
	waitClosed(t, r2)
	if r2.err == nil {
		t.Fatal("OnClose(nil) after a reset; want the error")
	}
	if _, err := c2.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after reset = %v; want net.ErrClosed", err)
	}
}

// A Handler may write and close from OnData.
func TestHandlerWritesAndClosesFromOnData(t *testing.T) {
	p := newPoller(t, Config{})
	r := newRecorder()
	var c *Conn
	ready := make(chan struct{})
	r.onData = func(b []byte) {
		<-ready
		_, _ = c.Write(append([]byte("echo "), b...))
		if bytes.Contains(b, []byte("bye")) {
			_ = c.Close()
		}
	}
	client, conn := pair(t, p, r)
	c = conn
	close(ready)
	_, _ = client.Write([]byte("bye"))
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil || string(got) != "echo bye" {
		t.Fatalf("peer read %q, %v; want \"echo bye\" then EOF", got, err)
	}
	waitClosed(t, r)
}

// A panic in OnData closes that connection with an error naming the panic;
// the loop goes on serving the others.
func TestPanicInOnDataClosesOnlyThatConnection(t *testing.T) {
	p := newPoller(t, Config{Loops: 1})
	bad := newRecorder()
	bad.onData = func([]byte) { panic("boom") }
	badClient, _ := pair(t, p, bad)
	good := newRecorder()
	goodClient, _ := pair(t, p, good)
	_, _ = badClient.Write([]byte("x"))
	waitClosed(t, bad)
	if bad.err == nil || !strings.Contains(bad.err.Error(), "boom") {
		t.Fatalf("OnClose(%v); want an error naming the panic", bad.err)
	}
	_, _ = goodClient.Write([]byte("still here"))
	waitFor(t, "the other connection's bytes", func() bool { return string(good.received()) == "still here" })
}

// Stop closes every connection, waits for every OnClose and every loop,
// and Add fails afterwards.
func TestStopClosesEverythingAndEndsTheLoops(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := New(Config{Loops: 3})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*recorder
	for range 30 {
		r := newRecorder()
		client, c := pair(t, p, r)
		_, _ = client.Write([]byte("hello"))
		_, _ = c.Write([]byte("hi"))
		recs = append(recs, r)
	}
	p.Stop()
	for i, r := range recs {
		if r.closes.Load() != 1 {
			t.Fatalf("conn %d: OnClose called %d times before Stop returned", i, r.closes.Load())
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, _ := net.Dial("tcp", ln.Addr().String())
	defer client.Close()
	srv, _ := ln.Accept()
	defer srv.Close() // Add leaves it to the caller on an error
	if _, err := p.Add(srv, newRecorder()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Add after Stop = %v; want ErrStopped", err)
	}
	p.Stop() // again: returns
	waitFor(t, "the loops' goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// Connections opened and closed in a storm while others exchange data:
// descriptor numbers are reused all the time, and no byte may reach a
// connection it was not sent to.
func TestDescriptorReuseDoesNotCrossConnections(t *testing.T) {
	p := newPoller(t, Config{Loops: 2})
	var wrong atomic.Int32
	var wg sync.WaitGroup
	for w := range 8 {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // one each: Accept returns this worker's dial
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		wg.Go(func() {
			for k := range 60 {
				id := []byte(fmt.Sprintf("<%d.%d>", w, k))
				client, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Error(err)
					return
				}
				srvSide, err := ln.Accept()
				if err != nil {
					t.Error(err)
					return
				}
				r := newRecorder()
				var c *Conn
				var cmu sync.Mutex
				r.onData = func(b []byte) {
					if !bytes.Equal(b, id) {
						if wrong.Add(1) == 1 {
							t.Logf("%s: handler got %q", id, b)
						}
					}
					cmu.Lock()
					cc := c
					cmu.Unlock()
					if cc != nil {
						_, _ = cc.Write(b)
					}
				}
				conn, err := p.Add(srvSide, r)
				if err != nil {
					t.Error(err)
					return
				}
				cmu.Lock()
				c = conn
				cmu.Unlock()
				_, _ = client.Write(id)
				got := make([]byte, len(id))
				_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, id) {
					if wrong.Add(1) == 1 {
						t.Logf("%s: read %q, %v", id, got, err)
					}
				}
				if k%2 == 0 {
					_ = conn.Close()
				} else {
					_ = client.Close()
				}
				<-r.closed
				_ = client.Close()
			}
		})
	}
	wg.Wait()
	if n := wrong.Load(); n != 0 {
		t.Fatalf("%d exchanges saw another connection's bytes or none", n)
	}
}
