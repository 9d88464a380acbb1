package testkit

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Balancer is a TCP front for several nodes, like the load balancer users
// put in front of a cluster: each new connection goes to the first target,
// in order, that accepts it. Clients keep one address and their own
// reconnect and recovery logic: when their node dies they reconnect to the
// balancer and land on a live one.
type Balancer struct {
	ln net.Listener

	mu      sync.Mutex
	targets []string          // host:port, in order of preference (mu)
	conns   map[net.Conn]bool // open connections, both sides (mu)
	closed  bool              // (mu)
	wg      sync.WaitGroup
}

// NewBalancer listens on a free loopback port in front of targets (host:port
// or http:// base URLs). It is closed when the test ends.
func NewBalancer(t testing.TB, targets ...string) *Balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Balancer{ln: ln, conns: make(map[net.Conn]bool)}
	b.SetTargets(targets...)
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.Close)
	return b
}

// WSURL is the WebSocket endpoint through the balancer.
func (b *Balancer) WSURL() string { return "ws://" + b.ln.Addr().String() + "/connection/websocket" }

// SetTargets replaces the targets for new connections.
func (b *Balancer) SetTargets(targets ...string) {
	hosts := make([]string, len(targets))
	for i, t := range targets {
		hosts[i] = strings.TrimPrefix(t, "http://")
	}
	b.mu.Lock()
	b.targets = hosts
	b.mu.Unlock()
}

func (b *Balancer) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go b.serve(c)
	}
}

func (b *Balancer) serve(in net.Conn) {
	defer b.wg.Done()
	b.mu.Lock()
	targets := append([]string(nil), b.targets...)
	b.mu.Unlock()
	var out net.Conn
	for _, t := range targets {
		c, err := net.DialTimeout("tcp", t, time.Second)
		if err == nil {
			out = c
			break
		}
	}
	if out == nil {
		_ = in.Close()
		return
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = in.Close()
		_ = out.Close()
		return
	}
	b.conns[in], b.conns[out] = true, true
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		_, _ = io.Copy(in, out)
		b.drop(in, out)
	}()
	_, _ = io.Copy(out, in)
	b.drop(in, out)
}

func (b *Balancer) drop(cs ...net.Conn) {
	b.mu.Lock()
	for _, c := range cs {
		delete(b.conns, c)
	}
	b.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}

// Close stops the balancer and closes every connection through it.
func (b *Balancer) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	conns := make([]net.Conn, 0, len(b.conns))
	for c := range b.conns {
		conns = append(conns, c)
	}
	b.mu.Unlock()
	_ = b.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	b.wg.Wait()
}
