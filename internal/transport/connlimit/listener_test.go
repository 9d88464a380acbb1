package connlimit

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// The listener holds accepted connections to the limit: past it a
// connection reads a 503 with Retry-After and is closed; closing an
// accepted one makes room; a kept place outlives its connection until
// released.
func TestListenerHoldsConnectionsToTheLimit(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(2)
	ln := Listener(raw, l, nil)
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	next := func() *Conn {
		t.Helper()
		select {
		case c := <-accepted:
			return c.(*Conn)
		case <-time.After(5 * time.Second):
			t.Fatal("no connection accepted")
			return nil
		}
	}
	dial()
	dial()
	first, second := next(), next()
	if l.Open() != 2 {
		t.Fatalf("open %d after two accepts; want 2", l.Open())
	}

	over := dial()
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(over)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 503") {
		t.Fatalf("a connection past the limit read %q, %v; want a 503", status, err)
	}
	rest, _ := br.ReadString(0)
	if !strings.Contains(rest, "Retry-After: 5") || !strings.HasSuffix(rest, "retry in a moment\n") {
		t.Fatalf("the refusal %q lacks Retry-After or its whole body", rest)
	}
	select {
	case c := <-accepted:
		t.Fatalf("a connection past the limit was handed on: %v", c.RemoteAddr())
	default:
	}

	_ = first.Close()
	_ = first.Close() // a second close gives nothing back twice
	if l.Open() != 1 {
		t.Fatalf("open %d after a close; want 1", l.Open())
	}
	dial()
	third := next()

	place := second.Keep()
	_ = second.Close()
	if l.Open() != 2 {
		t.Fatalf("open %d after closing a kept connection; want 2 (the place is kept)", l.Open())
	}
	place.Release()
	place.Release()
	if l.Open() != 1 {
		t.Fatalf("open %d after releasing the kept place twice; want 1", l.Open())
	}
	if _, err := third.SyscallConn(); err != nil {
		t.Fatalf("SyscallConn of an accepted TCP connection: %v", err)
	}
}
