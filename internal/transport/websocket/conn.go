package websocket

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/netpoll"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
	"github.com/liveroom-dev/liveroom/wire"
)

// errWriteClosed is returned by Write once a close frame was sent or the
// connection is gone.
var errWriteClosed = fmt.Errorf("websocket: write after close: %w", net.ErrClosed)

// conn is one upgraded connection. It implements hub.Transport,
// netpoll.Handler and frameSink.
//
// Locks, in the order they may be taken: rmu, then wmu, then the socket's
// own lock inside sock.Write; qmu is never held with another. OnWritten,
// which the poller calls with the socket's lock held, takes none of ours.
type conn struct {
	srv *Server
	// sock is the socket in the poller: set by startConn under rmu before
	// the poller's first OnData, and before anything writes; never changes.
	sock   *netpoll.Conn
	proto  protocol.Type
	dataOp byte // opText for JSON, opBinary for Protobuf
	// deflate is set when permessage-deflate was negotiated (RFC 7692),
	// without context takeover: no compression state is kept here.
	deflate bool
	remote  netip.AddrPort
	// tcpPlace is the socket's place in the HTTP listener's count (nil
	// when the listener counts nothing), released by unregister.
	tcpPlace *connlimit.Place

	rmu sync.Mutex
	// dec is owned by rmu (the poller goroutine, and the handshake
	// goroutine for bytes the HTTP reader had already buffered).
	dec        decoder
	lastFrames uint64 // rmu; dec.frames already counted in stats
	lastDone   uint64 // rmu; dec.completed at the end of the last feed

	// partialSince is when the partly received frame or message began (Unix
	// ns), 0 when none. Written by the reader, read by the sweeper.
	partialSince atomic.Int64
	// inPartial: c is in the Server's set of connections the sweeper
	// visits (Server.partialMu orders its changes).
	inPartial atomic.Bool

	wmu        sync.Mutex
	closed     bool        // wmu; the poller reported the socket closed
	closeTimer *time.Timer // wmu; forces the TCP close after CloseTimeout
	cause      error       // wmu; why we started closing, for HandleClosed

	// A pong waiting for wmu: the poller never blocks on wmu (a hub writer
	// may hold it); it leaves the pong here for whoever unlocks next.
	pmu         sync.Mutex
	pongBuf     *[maxControlPayload]byte // pmu; allocated at the first ping
	pongLen     int                      // pmu
	pongWaiting atomic.Bool
	// pongDeferred: a pong waits for the backlog to fall to maxPongBacklog.
	pongDeferred atomic.Bool

	pending    atomic.Int64  // bytes handed to sock that the kernel has not taken
	written    atomic.Uint64 // bytes handed to sock since the connection opened
	sentClose  atomic.Bool   // a close frame was written (under wmu)
	peerClosed atomic.Bool   // nothing more is awaited from the peer
	discard    atomic.Bool   // input is ignored (after a protocol error)
	finishing  atomic.Bool   // the TCP close was requested

	qmu        sync.Mutex
	session    hub.Session // qmu; nil until Accept returns
	queue      []*[]byte   // qmu; messages waiting for HandleMessage
	queued     int         // qmu; bytes in queue, with overhead
	scheduled  bool        // qmu; the dispatcher holds or runs this conn
	gone       bool        // qmu; the socket is closed
	goneCause  error       // qmu
	closedDone bool        // qmu; HandleClosed was called
}

// Name implements hub.Transport.
func (c *conn) Name() string { return "websocket" }

// Protocol implements hub.Transport.
func (c *conn) Protocol() protocol.Type { return c.proto }

// Buffered implements hub.Transport: bytes accepted by Write (with their
// frame headers) that the kernel has not taken yet.
func (c *conn) Buffered() int { return int(max(c.pending.Load(), 0)) }

// Backlog implements hub.Transport: bytes written that the peer has not
// taken yet — what the socket's queue still holds plus the kernel's send queue (SIOCOUTQ:
// unsent and unacknowledged bytes) — and the bytes the peer has taken since
// the connection opened. It costs one system call.
func (c *conn) Backlog() (pending int, taken uint64) {
	user := max(c.pending.Load(), 0)
	var kernel int64
	if !c.finishing.Load() {
		kernel = int64(kernelSendQueue(c.sock))
	}
	total := user + kernel
	written := c.written.Load()
	return int(total), written - min(uint64(total), written)
}

// Write implements hub.Transport: payload becomes one unmasked frame with
// FIN set (text on JSON connections, binary on Protobuf ones). The socket
// writes what the kernel takes now and copies the rest, so payload is not
// retained.
func (c *conn) Write(payload []byte) error {
	c.wmu.Lock()
	defer c.unlockW()
	if c.closed || c.sentClose.Load() {
		return errWriteClosed
	}
	return c.writeFrameLocked(c.dataOp, payload)
}

// maxPongBacklog is the most bytes that may wait in user space for the
// socket when a pong is written. Past it the pong waits, and is written
// once the client has read enough (OnWritten); pings that come meanwhile
// replace it, so only the latest is answered (RFC 6455 §5.5.3 allows it).
// A client that sends pings and does not read would otherwise grow its
// queue by a pong per ping without bound — before it has even connected.
const maxPongBacklog = 64 << 10

// unlockW releases wmu after sending a pong left by the poller. Every
// unlocker checks again after unlocking, so a pong left while wmu was held
// is sent by the last holder.
func (c *conn) unlockW() {
	for {
		if c.pongWaiting.Swap(false) {
			var buf [maxControlPayload]byte
			c.pmu.Lock()
			n := copy(buf[:], c.pongBuf[:c.pongLen])
			c.pmu.Unlock()
			if !c.closed && !c.sentClose.Load() {
				if c.pending.Load() <= maxPongBacklog {
					_ = c.writeFrameLocked(opPong, buf[:n])
				} else if !c.pongDeferred.Swap(true) {
					c.srv.stats.pongsDeferred.Add(1)
				}
			}
		}
		c.wmu.Unlock()
		if !c.pongWaiting.Load() || !c.wmu.TryLock() {
			return
		}
	}
}

// Close implements hub.Transport: it sends a close frame with d and closes
// the socket once the peer answers, or after CloseTimeout.
func (c *conn) Close(d wire.Disconnect) {
	code := uint16(closeInternalError)
	if d.Code >= 3000 && d.Code <= 4999 {
		code = uint16(d.Code)
	}
	c.closeWith(code, d.Reason, closeAwaitPeer, &hub.DisconnectError{Disconnect: d})
}

// writeFrameLocked writes one frame; the caller holds wmu.
func (c *conn) writeFrameLocked(op byte, payload []byte) error {
	bp := getBuf(len(payload) + maxServerHeader)
	b := appendFrame((*bp)[:0], op, payload)
	c.pending.Add(int64(len(b)))
	c.written.Add(uint64(len(b)))
	_, err := c.sock.Write(b)
	putBuf(bp)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("websocket: write: %w", err)
		}
		// The poller closes the socket after a write error.
		return fmt.Errorf("websocket: write: %w: %w", net.ErrClosed, err)
	}
	c.srv.stats.framesOut.Add(1)
	return nil
}

// OnWritten implements netpoll.Handler: the kernel took n bytes. The
// socket's lock is held here, so the TCP close, if due, runs on another
// goroutine.
func (c *conn) OnWritten(n int) {
	left := c.pending.Add(-int64(n))
	if left == 0 && c.sentClose.Load() && c.peerClosed.Load() {
		c.srv.goTracked(c.maybeFinish)
	}
	if left <= maxPongBacklog && c.pongDeferred.Load() && c.pongDeferred.CompareAndSwap(true, false) {
		// The client read enough: the pong that waited goes out, written by
		// whoever holds wmu next, or by this helper if nobody does.
		c.pongWaiting.Store(true)
		c.srv.goTracked(func() {
			if c.wmu.TryLock() {
				c.unlockW()
			}
		})
	}
}

// How closeWith waits before closing the socket.
type closeMode int

const (
	closeAwaitPeer  closeMode = iota // parse input until the peer's close frame
	closeDiscard                     // ignore input; wait for EOF or the timeout
	closeAfterFlush                  // close once the close frame is flushed
)

// closeWith sends a close frame (once) and arranges the TCP close. cause is
// reported to HandleClosed.
func (c *conn) closeWith(code uint16, reason string, mode closeMode, cause error) {
	if !c.sendClose(code, reason, mode, cause) {
		return
	}
	c.srv.stats.countClose(code)
	c.maybeFinish()
}

// sendClose writes the close frame and starts the close timer, once; false
// when a close frame was already sent or the socket is gone. wmu is
// released by a deferred call, so a panic cannot leave it held for the
// poller's OnClose.
func (c *conn) sendClose(code uint16, reason string, mode closeMode, cause error) bool {
	c.wmu.Lock()
	defer c.unlockW()
	if c.closed || c.sentClose.Load() {
		return false
	}
	c.cause = cause
	switch mode {
	case closeDiscard:
		c.discard.Store(true)
	case closeAfterFlush:
		c.discard.Store(true)
		c.peerClosed.Store(true)
	}
	var buf [maxControlPayload]byte
	_ = c.writeFrameLocked(opClose, appendClosePayload(buf[:0], code, reason))
	c.sentClose.Store(true)
	c.closeTimer = time.AfterFunc(c.srv.cfg.CloseTimeout, c.forceClose)
	return true
}

// maybeFinish closes the socket once our close frame is flushed and the peer
// has answered.
func (c *conn) maybeFinish() {
	if c.sentClose.Load() && c.peerClosed.Load() && c.pending.Load() <= 0 &&
		c.finishing.CompareAndSwap(false, true) {
		_ = c.sock.Close()
	}
}

// forceClose ends a closing handshake that ran out of time.
func (c *conn) forceClose() {
	c.finishing.Store(true)
	_ = c.sock.Close()
}

// OnClose implements netpoll.Handler: the socket is closed (by us, the
// peer, an error or Shutdown). err is nil after our own close.
func (c *conn) OnClose(err error) {
	c.wmu.Lock()
	c.closed = true
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	cause := c.cause
	c.wmu.Unlock()
	c.pending.Store(0)
	c.partialSince.Store(0)
	if cause == nil {
		cause = err
	}
	c.srv.unregister(c)

	c.qmu.Lock()
	c.gone = true
	c.goneCause = cause
	sched := c.session != nil && !c.scheduled
	c.scheduled = c.scheduled || sched
	c.qmu.Unlock()
	if sched {
		c.srv.disp.schedule(c)
	}
}
