package connlimit

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// refusal is what a connection accepted past the limit gets before it is
// closed: an HTTP/1.1 response written without reading the request, since
// every endpoint behind the listener is HTTP.
const refusal = "HTTP/1.1 503 Service Unavailable\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Retry-After: 5\r\n" +
	"Connection: close\r\n" +
	"Content-Length: 53\r\n" +
	"\r\n" +
	"server is at its connection limit; retry in a moment\n"

// maxRefusing bounds the refusals being written at once. Each holds its
// socket for up to refusalLinger (so that the client reads the 503 rather
// than a reset); past this many a refused connection is closed at once.
const maxRefusing = 64

// refusalLinger is how long a refused connection is kept to drain what the
// client sent, so that closing it does not discard the 503 with a reset.
const refusalLinger = 500 * time.Millisecond

// Listener returns ln with every accepted connection counted in l: a
// connection takes a place when it is accepted and gives it back when it
// is closed (see Conn.Keep for a transport that keeps the descriptor).
// Past the limit a connection is answered 503 with Retry-After and closed,
// and Accept goes on to the next one. A handler that hijacks the
// connection gets the *Conn back from Hijack.
func Listener(ln net.Listener, l *Limit, log *slog.Logger) net.Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &listener{Listener: ln, l: l, log: log}
}

type listener struct {
	net.Listener
	l        *Limit
	log      *slog.Logger
	refusing atomic.Int64   // refusals being written
	lastLog  atomic.Int64   // Unix ns of the last "at the limit" log line
	wg       sync.WaitGroup // refusal goroutines
}

// Close closes the listener and waits for the refusals being written
// (each ends within refusalLinger).
func (ln *listener) Close() error {
	err := ln.Listener.Close()
	ln.wg.Wait()
	return err
}

func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if p := ln.l.TakePlace(); p != nil {
			return &Conn{Conn: c, place: p}, nil
		}
		ln.refuse(c)
	}
}

// refuse answers c with the 503 and closes it, on a short-lived goroutine
// of its own (bounded by maxRefusing and refusalLinger).
func (ln *listener) refuse(c net.Conn) {
	now := time.Now().UnixNano()
	if last := ln.lastLog.Load(); now-last > int64(time.Second) && ln.lastLog.CompareAndSwap(last, now) {
		ln.log.Warn("refusing connections: at the connection limit", "limit", ln.l.Max(),
			"hint", "the limit follows the open-file limit (ulimit -n), less a reserve for the store; raise it or add nodes")
	}
	if ln.refusing.Add(1) > maxRefusing {
		ln.refusing.Add(-1)
		_ = c.Close()
		return
	}
	ln.wg.Add(1)
	go func() {
		defer ln.wg.Done()
		defer ln.refusing.Add(-1)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refusalLinger))
		if _, err := io.WriteString(c, refusal); err != nil {
			return
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_, _ = io.CopyN(io.Discard, c, 64<<10)
	}()
}

// Conn is a connection accepted by Listener, holding its place.
type Conn struct {
	net.Conn
	place *Place
	kept  atomic.Bool
}

// Close closes the connection and, unless Keep handed it on, gives its
// place back.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if !c.kept.Load() {
		c.place.Release()
	}
	return err
}

// Keep hands the connection's place to the caller, for a transport that
// takes the socket's descriptor over (a WebSocket connection given to an
// event loop, which duplicates the descriptor and closes c): closing c no
// longer releases it, and the caller releases it when the descriptor is
// closed.
func (c *Conn) Keep() *Place {
	c.kept.Store(true)
	return c.place
}

// SyscallConn gives the underlying socket, for event loops that poll its
// descriptor.
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("connlimit: the connection has no descriptor")
	}
	return sc.SyscallConn()
}

// CloseWrite shuts the sending side down (net/http uses it to let a client
// read an error reply before the connection closes).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
