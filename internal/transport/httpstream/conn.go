package httpstream

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// errWriteClosed is returned by Write once the stream is closed or closing.
var errWriteClosed = fmt.Errorf("httpstream: write after close: %w", net.ErrClosed)

// kind is one of the two stream transports.
type kind uint8

const (
	kindSSE kind = iota
	kindStream
)

func (k kind) String() string {
	if k == kindSSE {
		return "sse"
	}
	return "http_stream"
}

// maxSpare is the largest write buffer a stream keeps between writes.
const maxSpare = 64 << 10

// conn is one stream. It implements hub.Transport. Write and Close only
// append to buf and wake the handler goroutine, which owns the
// http.ResponseWriter and does every write.
type conn struct {
	srv    *Server
	kind   kind
	proto  protocol.Type
	remote netip.AddrPort

	mu        sync.Mutex
	buf       []byte           // mu; framed bytes waiting for the handler
	closeWith *wire.Disconnect // mu; set by Close, whose disconnect push is in buf
	done      bool             // mu; the handler has finished

	wake     chan struct{} // capacity 1: the handler has something to do
	buffered atomic.Int64  // bytes in buf plus bytes the handler is writing
	taken    atomic.Uint64 // bytes written and flushed since the stream opened
}

func newConn(s *Server, k kind, proto protocol.Type, remote netip.AddrPort) *conn {
	return &conn{srv: s, kind: k, proto: proto, remote: remote, wake: make(chan struct{}, 1)}
}

// Name implements hub.Transport: "sse" or "http_stream".
func (c *conn) Name() string { return c.kind.String() }

// Protocol implements hub.Transport.
func (c *conn) Protocol() protocol.Type { return c.proto }

// Buffered implements hub.Transport: bytes accepted by Write, in their
// stream framing, that have not been written and flushed yet.
func (c *conn) Buffered() int { return int(max(c.buffered.Load(), 0)) }

// Backlog implements hub.Transport. net/http does not show the socket, so
// the kernel's send queue is not counted: a client that stops reading fills
// it, then the handler's write blocks and Buffered stops draining.
func (c *conn) Backlog() (pending int, taken uint64) { return c.Buffered(), c.taken.Load() }

// Write implements hub.Transport: payload (JSON replies joined by '\n', or
// length-prefixed Protobuf replies) is framed for the stream and queued for
// the handler goroutine; it never blocks on the client.
func (c *conn) Write(payload []byte) error {
	c.mu.Lock()
	if c.done || c.closeWith != nil {
		c.mu.Unlock()
		return errWriteClosed
	}
	n := len(c.buf)
	c.buf = c.frame(c.buf, payload)
	c.buffered.Add(int64(len(c.buf) - n))
	c.mu.Unlock()
	c.signal()
	return nil
}

// Close implements hub.Transport: the protocol's disconnect push is queued
// after what was written, and the stream ends once it is flushed (or after
// CloseTimeout). Later calls do nothing.
func (c *conn) Close(d wire.Disconnect) {
	push, err := disconnectPush(c.proto, d)
	c.mu.Lock()
	if c.done || c.closeWith != nil {
		c.mu.Unlock()
		return
	}
	c.closeWith = &d
	if err == nil {
		n := len(c.buf)
		c.buf = c.frame(c.buf, push)
		c.buffered.Add(int64(len(c.buf) - n))
	}
	c.mu.Unlock()
	c.signal()
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// disconnectPush encodes {"push":{"disconnect":{code, reason}}} as one
// transport message: with its length prefix in Protobuf.
func disconnectPush(proto protocol.Type, d wire.Disconnect) ([]byte, error) {
	rep := &protocol.Reply{Push: &protocol.Push{Disconnect: &protocol.Disconnect{Code: d.Code, Reason: d.Reason}}}
	data, err := protocol.GetReplyEncoder(proto).Encode(rep)
	if err != nil || proto == protocol.TypeJSON {
		return data, err
	}
	return append(binary.AppendUvarint(nil, uint64(len(data))), data...), nil
}

// frame appends payload to buf in the stream's framing. HTTP-streaming:
// JSON replies each end with '\n' (the client cuts lines), Protobuf replies
// are already length-prefixed. SSE: one event whose data lines are the
// JSON replies; a '\r' (only possible as whitespace inside JSON) becomes a
// space, since EventSource ends lines at it.
func (c *conn) frame(buf, payload []byte) []byte {
	switch {
	case c.kind == kindStream && c.proto == protocol.TypeJSON:
		return append(append(buf, payload...), '\n')
	case c.kind == kindStream:
		return append(buf, payload...)
	}
	for {
		line, rest, more := bytes.Cut(payload, []byte{'\n'})
		buf = append(buf, "data: "...)
		start := len(buf)
		buf = append(buf, line...)
		for i := start; i < len(buf); i++ {
			if buf[i] == '\r' {
				buf[i] = ' '
			}
		}
		buf = append(buf, '\n')
		if !more {
			break
		}
		payload = rest
	}
	return append(buf, '\n')
}

// run writes what is queued until the stream is closed (the error is a
// *hub.DisconnectError), the client goes away, or a write fails. It runs on
// the request's handler goroutine; afterwards Write fails.
func (c *conn) run(ctx context.Context, w http.ResponseWriter) error {
	rc := http.NewResponseController(w)
	var spare []byte
	err := func() error {
		for {
			select {
			case <-c.wake:
			case <-ctx.Done():
				return fmt.Errorf("httpstream: client went away: %w", context.Cause(ctx))
			}
			c.mu.Lock()
			out := c.buf
			c.buf = spare[:0]
			closing := c.closeWith
			c.mu.Unlock()
			if len(out) > 0 {
				timeout := c.srv.cfg.WriteTimeout
				if closing != nil {
					timeout = min(timeout, c.srv.cfg.CloseTimeout)
				}
				_ = rc.SetWriteDeadline(time.Now().Add(timeout))
				_, err := w.Write(out)
				if err == nil {
					err = rc.Flush()
				}
				c.buffered.Add(-int64(len(out)))
				if err != nil {
					return writeError(err, closing == nil, timeout)
				}
				c.taken.Add(uint64(len(out)))
				c.srv.stats.writes.Add(1)
			}
			spare = nil
			if cap(out) <= maxSpare {
				spare = out
			}
			if closing != nil {
				return &hub.DisconnectError{Disconnect: *closing}
			}
		}
	}()
	c.mu.Lock()
	c.done = true
	c.buf = nil
	c.mu.Unlock()
	c.buffered.Store(0)
	return err
}

// writeError is why a stream ended on a failed write. A write that ran
// past its deadline before the stream was closing means the client took
// nothing for the write timeout: a slow consumer, reported to the hub as
// 3008 like a WebSocket whose peer stopped reading (no disconnect push can
// reach it).
func writeError(err error, open bool, timeout time.Duration) error {
	if open && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("httpstream: client took nothing for %s: %w: %w", timeout,
			&hub.DisconnectError{Disconnect: wire.DisconnectSlow}, err)
	}
	return fmt.Errorf("httpstream: write: %w", err)
}

var _ hub.Transport = (*conn)(nil)
