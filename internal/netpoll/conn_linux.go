package netpoll

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Conn is one socket served by a Poller. Its methods are safe for
// concurrent use.
type Conn struct {
	l  *loop
	fd int // valid while !closed; only the loop closes it, under mu
	h  Handler

	mu         sync.Mutex
	closed     bool   // mu (written on the loop goroutine only)
	closeAsked bool   // mu; Close was called or a write failed
	closeErr   error  // mu until closeAsked; then read by the loop
	pending    []byte // mu; bytes accepted by Write the kernel has not taken
	sent       int    // mu; how much of pending the kernel has taken
	watchOut   bool   // mu; EPOLLOUT is in the socket's events
}

// WriteChunk is the most bytes one write(2) is given, in bytes. A larger
// write or queue goes out in several calls, each reported to OnWritten
// as it returns, so a count kept from OnWritten lags the kernel by at most
// one chunk while a write is in progress (on loopback the peer can read
// the first bytes of a call before it returns).
const WriteChunk = 64 << 10

// largeQueue is the capacity, in bytes, above which an emptied write
// queue is released rather than kept for the next one.
const largeQueue = 64 << 10

// Write writes b to the socket without blocking: what the kernel does not
// take at once is copied and written, in order, when the socket has room;
// Handler.OnWritten reports the bytes as the kernel takes them. b is not
// retained. It returns len(b), or an error wrapping net.ErrClosed once the
// connection is closed or closing; a write error also closes the
// connection (OnClose reports it).
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closeAsked {
		return 0, errClosed
	}
	if len(b) == 0 {
		return 0, nil
	}
	if len(c.pending) > c.sent {
		c.pending = append(c.pending, b...)
		return len(b), nil
	}
	n, err := c.writeLocked(b)
	if err != nil {
		return n, err
	}
	if n < len(b) {
		c.pending = append(c.pending[:0], b[n:]...)
		c.sent = 0
		if err := c.watchOutLocked(true); err != nil {
			return n, err
		}
	}
	return len(b), nil
}

// writeLocked writes as much of b as the kernel takes now, reporting it.
// A write error other than "try again" asks the loop to close.
func (c *Conn) writeLocked(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(c.fd, b[done:min(len(b), done+WriteChunk)])
		if n > 0 {
			done += n
			c.h.OnWritten(n)
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return done, nil
		default:
			werr := fmt.Errorf("netpoll: write: %w", err)
			c.failLocked(werr)
			return done, fmt.Errorf("%w: %w", errClosed, werr)
		}
	}
	return done, nil
}

// watchOutLocked adds or removes EPOLLOUT from the socket's events.
func (c *Conn) watchOutLocked(on bool) error {
	if c.watchOut == on {
		return nil
	}
	events := uint32(unix.EPOLLIN)
	if on {
		events |= unix.EPOLLOUT
	}
	ev := unix.EpollEvent{Events: events, Fd: int32(c.fd)}
	if err := unix.EpollCtl(c.l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		werr := fmt.Errorf("netpoll: watch the socket for room to write: %w", err)
		c.failLocked(werr)
		return fmt.Errorf("%w: %w", errClosed, werr)
	}
	c.watchOut = on
	return nil
}

// flush writes queued bytes; on the loop goroutine, when the socket has
// room.
func (c *Conn) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closeAsked {
		return
	}
	n, err := c.writeLocked(c.pending[c.sent:])
	if err != nil {
		return
	}
	c.sent += n
	if c.sent < len(c.pending) {
		// Move the rest to the front once the written part dominates, so a
		// queue that never empties does not keep what was sent.
		if c.sent >= len(c.pending)/2 || c.sent >= largeQueue {
			c.pending = c.pending[:copy(c.pending, c.pending[c.sent:])]
			c.sent = 0
		}
		return
	}
	if cap(c.pending) > largeQueue {
		c.pending = nil
	} else {
		c.pending = c.pending[:0]
	}
	c.sent = 0
	_ = c.watchOutLocked(false)
}

// failLocked asks the loop to close the connection with err.
func (c *Conn) failLocked(err error) {
	if c.closeAsked {
		return
	}
	c.closeAsked = true
	c.closeErr = err
	c.l.requestClose(c)
}

// Close closes the connection: queued bytes are dropped, and the loop
// closes the socket and calls OnClose(nil) soon after (not before Close
// returns when called from OnData). Later calls do nothing; it always
// returns nil.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.failLocked(nil)
	}
	return nil
}

// Control runs f with the socket's descriptor, which stays open until f
// returns. f must not call the Conn's methods. It returns an error
// wrapping net.ErrClosed when the connection is closed or closing.
func (c *Conn) Control(f func(fd uintptr)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.closeAsked {
		return errClosed
	}
	f(uintptr(c.fd))
	return nil
}

// queued is how many bytes Write accepted that the kernel has not taken.
func (c *Conn) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) - c.sent
}

// footprint is how many bytes the write queue's buffer holds in use,
// written ones included.
func (c *Conn) footprint() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}
