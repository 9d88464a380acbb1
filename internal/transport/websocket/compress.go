package websocket

import (
	"errors"
	"unicode/utf8"

	"github.com/liveroom-dev/liveroom/internal/deflate"
)

// Errors of compressed client messages (RFC 7692 §8.2.3 leaves the failure
// to RFC 6455 §7.1.7; the codes follow what each one means).
var (
	errInflateData = perr(closeInvalidPayload, "invalid compressed data")
	errInflateUTF8 = perr(closeInvalidPayload, "inflated text message is not valid UTF-8")
)

// inflateMessage inflates one compressed client message into a pooled
// buffer of at most limit bytes (case C04: the limit applies to what the
// message inflates to, not to its size on the wire). A text message must
// inflate to valid UTF-8. The caller owns the returned buffer (putBuf).
func inflateMessage(op byte, body []byte, limit int) (*[]byte, *protocolError) {
	// A first guess that fits most messages; Inflate grows it by doubling,
	// never past limit+1 bytes.
	bp := getBuf(min(max(4*len(body), 256), limit+1))
	out, err := deflate.Inflate((*bp)[:0], body, limit)
	switch {
	case errors.Is(err, deflate.ErrTooLarge):
		putBuf(bp)
		return nil, tooBig("message once inflated", limit, "client.max_inflated_bytes")
	case err != nil:
		putBuf(bp)
		return nil, errInflateData
	}
	if op == opText && !utf8.Valid(out) {
		putBuf(bp)
		return nil, errInflateUTF8
	}
	if cap(out) != cap(*bp) {
		putBuf(bp) // Inflate outgrew it; out is a new slice
		bp = &out
	} else {
		*bp = out
	}
	return bp, nil
}

// CompressMinBytes reports the smallest message worth sending compressed
// on this connection, in bytes, and 0 when the connection did not
// negotiate permessage-deflate. Messages shorter than it are written with
// Write. It implements hub.DeflateTransport.
func (c *conn) CompressMinBytes() int {
	if !c.deflate {
		return 0
	}
	return c.srv.cfg.CompressMinBytes
}

// WriteDeflated implements hub.DeflateTransport: body is a message
// compressed with DEFLATE, without its trailing 00 00 ff ff (RFC 7692
// §7.2.1; see package deflate), sent as one frame with RSV1 set. It fails
// like Write, and also when the connection did not negotiate compression.
func (c *conn) WriteDeflated(body []byte) error {
	if !c.deflate {
		return errors.New("websocket: WriteDeflated on a connection without permessage-deflate")
	}
	c.wmu.Lock()
	defer c.unlockW()
	if c.closed || c.sentClose.Load() {
		return errWriteClosed
	}
	c.srv.stats.deflatedOut.Add(1)
	return c.writeFrameLocked(c.dataOp|bitRSV1, body)
}
