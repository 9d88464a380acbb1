package websocket

import (
	"fmt"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// PeerCloseError is the cause passed to Session.HandleClosed when the client
// ended the connection with a close frame (RFC 6455 §5.5.1).
type PeerCloseError struct {
	Code   uint16 // 1005 when the frame carried no code
	Reason string
}

func (e *PeerCloseError) Error() string {
	return fmt.Sprintf("websocket: peer closed with %d %q", e.Code, e.Reason)
}

// ProtocolError is the cause passed to Session.HandleClosed when the client
// broke RFC 6455 and the connection was failed with Code (§7.1.7).
type ProtocolError struct {
	Code   uint16 // 1002, 1003, 1007, 1008 or 1009
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("websocket: protocol error %d: %s", e.Code, e.Reason)
}

// messageOverhead is what one queued message counts against the pending
// limit on top of its bytes.
const messageOverhead = 64

// OnData implements netpoll.Handler: bytes read from the socket, valid only
// during the call.
func (c *conn) OnData(p []byte) {
	c.rmu.Lock()
	defer c.rmu.Unlock() // deferred: a panic must not leave rmu held
	c.feedLocked(p)
}

// feedLocked runs the decoder over p; the caller holds rmu.
func (c *conn) feedLocked(p []byte) {
	if c.discard.Load() {
		return
	}
	err := c.dec.feed(p, c)

	st := &c.srv.stats
	st.framesIn.Add(c.dec.frames - c.lastFrames)
	c.lastFrames = c.dec.frames
	st.notePartial(int64(c.dec.maxHeld))

	switch {
	case err != nil || !c.dec.busy():
		c.partialSince.Store(0)
	case c.dec.completed != c.lastDone || c.partialSince.Load() == 0:
		c.partialSince.Store(time.Now().UnixNano())
		c.srv.notePartial(c)
	}
	c.lastDone = c.dec.completed
	if err != nil {
		c.closeWith(err.code, err.reason, closeDiscard, &ProtocolError{Code: err.code, Reason: err.reason})
	}
}

// message implements frameSink: it queues a copy for the Session, or the
// inflated message when it came compressed.
func (c *conn) message(op byte, payload []byte, compressed bool) {
	if c.sentClose.Load() {
		return // closing: no new work
	}
	c.srv.stats.messagesIn.Add(1)
	var b *[]byte
	if compressed {
		var perr *protocolError
		b, perr = inflateMessage(op, payload, c.srv.cfg.MaxInflatedSize)
		if perr != nil {
			c.closeWith(perr.code, perr.reason, closeDiscard, &ProtocolError{Code: perr.code, Reason: perr.reason})
			return
		}
		c.srv.stats.inflatedIn.Add(1)
		payload = *b
	} else {
		b = getBuf(len(payload))
		copy(*b, payload)
	}

	c.qmu.Lock()
	if c.queued+len(payload)+messageOverhead > c.srv.cfg.pendingLimit() {
		c.qmu.Unlock()
		putBuf(b)
		d := wire.DisconnectTooManyRequests
		// The reason says what to do: the limit is on bytes received and
		// not yet read by the session, not on a rate.
		reason := fmt.Sprintf("over %d KiB of messages waiting: wait for replies before sending more", c.srv.cfg.pendingLimit()>>10)
		c.closeWith(uint16(d.Code), reason, closeDiscard, &ProtocolError{Code: uint16(d.Code), Reason: "too many messages waiting for the session"})
		return
	}
	c.queue = append(c.queue, b)
	c.queued += len(payload) + messageOverhead
	sched := c.session != nil && !c.scheduled
	c.scheduled = c.scheduled || sched
	c.qmu.Unlock()
	if sched {
		c.srv.disp.schedule(c)
	}
}

// ping implements frameSink: answer with a pong carrying the same payload
// (RFC 6455 §5.5.2), also between fragments of a message. If a writer holds
// wmu the pong is left for it (see unlockW); when pings come faster than
// pongs go out, only the latest is answered (§5.5.3 allows it).
func (c *conn) ping(payload []byte) {
	c.pmu.Lock()
	if c.pongBuf == nil {
		c.pongBuf = new([maxControlPayload]byte)
	}
	c.pongLen = copy(c.pongBuf[:], payload)
	c.pmu.Unlock()
	c.pongWaiting.Store(true)
	if c.wmu.TryLock() {
		c.unlockW()
	}
}

// pong implements frameSink; unsolicited pongs are allowed and ignored
// (RFC 6455 §5.5.3).
func (c *conn) pong([]byte) {}

// closeFrame implements frameSink: echo the code (RFC 6455 §5.5.1) and close
// the socket once the echo is flushed. If we had sent a close frame first,
// this is the answer we were waiting for.
func (c *conn) closeFrame(code uint16, reason []byte) {
	c.peerClosed.Store(true)
	c.closeWith(code, "", closeAwaitPeer, &PeerCloseError{Code: code, Reason: string(reason)})
	c.maybeFinish()
}

// sweepStalled closes the connection if a frame or message has been in
// progress since before cutoff (Unix ns).
func (c *conn) sweepStalled(cutoff int64) {
	since := c.partialSince.Load()
	if since == 0 || since > cutoff {
		return
	}
	c.partialSince.Store(0)
	const reason = "frame not completed in time"
	c.closeWith(closePolicyViolation, reason, closeAfterFlush, &ProtocolError{Code: closePolicyViolation, Reason: reason})
}
