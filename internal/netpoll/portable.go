//go:build !linux

package netpoll

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
)

// This portable Poller runs a reader goroutine per connection (and a
// writer goroutine while a connection has bytes queued) on the net
// package. It keeps the API and the Handler's guarantees of the Linux
// event loops, not their memory cost.

// WriteChunk is the most bytes one write is given, in bytes; see the Linux
// build.
const WriteChunk = 64 << 10

// portableReadBuffer is each connection's read buffer, in bytes.
const portableReadBuffer = 4 << 10

// Poller serves connections with a goroutine each.
type Poller struct {
	log *slog.Logger
	wg  sync.WaitGroup

	mu      sync.Mutex
	conns   map[*Conn]struct{} // mu
	stopped bool               // mu
}

// New returns a Poller. It returns an error when a Config value is
// negative.
func New(cfg Config) (*Poller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Poller{log: cfg.Logger, conns: make(map[*Conn]struct{})}, nil
}

// Add serves nc; h receives its events. It returns ErrStopped after Stop
// began; the caller then closes nc.
func (p *Poller) Add(nc net.Conn, h Handler) (*Conn, error) {
	c := &Conn{p: p, nc: nc, h: h}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return nil, ErrStopped
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go c.readLoop()
	return c, nil
}

// Stop closes every connection and waits until every OnClose has
// returned.
func (p *Poller) Stop() {
	p.mu.Lock()
	p.stopped = true
	open := make([]*Conn, 0, len(p.conns))
	for c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
	p.wg.Wait()
}

// Conn is one socket served by a Poller. Its methods are safe for
// concurrent use.
type Conn struct {
	p  *Poller
	nc net.Conn
	h  Handler

	mu         sync.Mutex
	closeAsked bool   // mu
	closed     bool   // mu; OnClose is due or done: no more OnWritten
	closeErr   error  // mu
	pending    []byte // mu; bytes the writer goroutine has not taken
	writing    bool   // mu; a writer goroutine runs
	inWrite    int    // mu; bytes the writer took and has not finished writing
}

func (c *Conn) readLoop() {
	defer c.p.wg.Done()
	buf := make([]byte, portableReadBuffer)
	var err error
	for {
		var n int
		n, err = c.nc.Read(buf)
		if n > 0 {
			if perr := c.deliver(buf[:n]); perr != nil {
				c.mu.Lock()
				c.failLocked(perr)
				c.mu.Unlock()
			}
		}
		if err != nil {
			break
		}
	}
	_ = c.nc.Close()
	c.mu.Lock()
	if c.closeAsked {
		err = c.closeErr
	} else if !errors.Is(err, io.EOF) {
		err = fmt.Errorf("netpoll: read: %w", err)
	}
	c.closeAsked = true
	c.closed = true
	c.pending = nil
	c.mu.Unlock()
	c.p.mu.Lock()
	delete(c.p.conns, c)
	c.p.mu.Unlock()
	c.h.OnClose(err)
}

// deliver hands p to the Handler, turning a panic there into an error.
func (c *Conn) deliver(p []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.p.log.Error("netpoll: panic in OnData; closing the connection", "panic", fmt.Sprint(r))
			err = fmt.Errorf("netpoll: panic in OnData: %v", r)
		}
	}()
	c.h.OnData(p)
	return nil
}

// Write queues b for the connection's writer goroutine and returns
// len(b), or an error wrapping net.ErrClosed once it is closed or
// closing.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeAsked {
		return 0, errClosed
	}
	c.pending = append(c.pending, b...)
	if !c.writing && len(c.pending) > 0 {
		c.writing = true
		c.p.wg.Add(1) // Stop waits for the writer too
		go c.writeLoop()
	}
	return len(b), nil
}

func (c *Conn) writeLoop() {
	defer c.p.wg.Done()
	for {
		c.mu.Lock()
		b := c.pending[:min(len(c.pending), WriteChunk)]
		c.pending = c.pending[len(b):]
		if len(b) == 0 || c.closeAsked {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.inWrite = len(b)
		c.mu.Unlock()
		n, err := c.nc.Write(b)
		c.mu.Lock()
		c.inWrite = 0
		if n > 0 && !c.closed {
			c.h.OnWritten(n)
		}
		if err != nil {
			c.failLocked(fmt.Errorf("netpoll: write: %w", err))
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

func (c *Conn) failLocked(err error) {
	if c.closeAsked {
		return
	}
	c.closeAsked = true
	c.closeErr = err
	_ = c.nc.Close() // the reader sees it and calls OnClose
}

// Close closes the connection; OnClose(nil) follows on the reader
// goroutine. It always returns nil.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failLocked(nil)
	return nil
}

// Control runs f with the socket's descriptor (or handle).
func (c *Conn) Control(f func(fd uintptr)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeAsked {
		return errClosed
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return fmt.Errorf("netpoll: %T has no descriptor", c.nc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("netpoll: %w", err)
	}
	if err := rc.Control(f); err != nil {
		return fmt.Errorf("netpoll: %w", err)
	}
	return nil
}

// queued is how many bytes Write accepted that the writer has not taken.
func (c *Conn) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) + c.inWrite
}

// footprint is how many bytes the write queue holds in use.
func (c *Conn) footprint() int { return c.queued() }
