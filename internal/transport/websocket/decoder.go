package websocket

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// frameSink receives what the decoder finds. Every byte slice is valid only
// during the call (it may point into the caller's read buffer).
type frameSink interface {
	// message receives one complete data message: op is opText or opBinary.
	// compressed is set when its first frame had RSV1 (permessage-deflate,
	// RFC 7692 §6): payload is then a DEFLATE body, not yet checked as
	// UTF-8.
	message(op byte, payload []byte, compressed bool)
	// ping receives a ping's payload (at most 125 bytes).
	ping(payload []byte)
	// pong receives a pong's payload (at most 125 bytes).
	pong(payload []byte)
	// closeFrame receives the peer's close frame: code is 1005 when the
	// frame had no payload; reason is valid UTF-8.
	closeFrame(code uint16, reason []byte)
}

// protocolError is a reason to fail the connection (RFC 6455 §7.1.7): the
// close code to send and a short reason.
type protocolError struct {
	code   uint16
	reason string
}

func (e *protocolError) Error() string { return e.reason }

func perr(code uint16, reason string) *protocolError {
	return &protocolError{code: code, reason: reason}
}

// tooBig refuses a message over limit bytes, naming the limit and the
// setting that raises it (a client that sends its connect and many
// subscribes in one message can meet it).
func tooBig(what string, limit int, setting string) *protocolError {
	return perr(closeMessageTooBig, fmt.Sprintf("%s over %d bytes (server setting %s)", what, limit, setting))
}

// Errors the decoder returns; each is final.
var (
	errRSV             = perr(closeProtocolError, "reserved bit set without a negotiated extension")
	errRSV1            = perr(closeProtocolError, "RSV1 set on a control frame or a continuation frame")
	errOpcode          = perr(closeProtocolError, "reserved opcode")
	errControlFragment = perr(closeProtocolError, "fragmented control frame")
	errControlTooLong  = perr(closeProtocolError, "control frame payload over 125 bytes")
	errUnmasked        = perr(closeProtocolError, "unmasked client frame")
	errNoMessage       = perr(closeProtocolError, "continuation frame with no message in progress")
	errMessageOpen     = perr(closeProtocolError, "new data frame inside a fragmented message")
	errLengthTopBit    = perr(closeProtocolError, "64-bit payload length with the top bit set")
	errNonMinimal      = perr(closeProtocolError, "payload length not minimally encoded")
	errTextUTF8        = perr(closeInvalidPayload, "text message is not valid UTF-8")
	errCloseLen1       = perr(closeProtocolError, "close frame with a 1-byte payload")
	errCloseCode       = perr(closeProtocolError, "invalid close code")
	errCloseUTF8       = perr(closeInvalidPayload, "close reason is not valid UTF-8")
	errWantText        = perr(closeUnsupportedData, "binary message on a JSON connection")
	errWantBinary      = perr(closeUnsupportedData, "text message on a Protobuf connection")
)

// decoder is a push-based parser of client frames (RFC 6455 §5), fed the
// bytes a socket produced in whatever pieces they came. It never allocates
// a size declared by the peer: it buffers only bytes received, and at most
// maxSize bytes for one message. A message that arrives whole in one feed,
// in one frame, is unmasked in place and handed over without a copy.
//
// It is not safe for concurrent use; the connection's read lock owns it.
type decoder struct {
	maxSize int  // bytes; limit of one message (all fragments)
	want    byte // opText or opBinary: the data opcode this connection accepts
	deflate bool // permessage-deflate negotiated: RSV1 allowed on a message's first frame

	hdr  [maxClientHeader]byte // header bytes held while a header is split
	hdrN int                   // bytes of hdr in use

	inFrame   bool    // a header was parsed; payload bytes remain
	fin       bool    // FIN bit of the current frame
	op        byte    // opcode of the current frame
	key       [4]byte // masking key of the current frame
	keyPos    int     // masking key index for the next payload byte
	remaining int     // payload bytes of the current frame still to come

	// ctrl holds a control frame's payload split over reads; allocated
	// only then (rare), and dropped when the frame completes, so an idle
	// connection does not carry 125 bytes it almost never uses.
	ctrl  *[maxControlPayload]byte
	ctrlN int // bytes of ctrl in use

	msgOp  byte    // opcode of the open message, 0 when none is open
	msgZ   bool    // the open message is compressed (RSV1 on its first frame)
	msgLen int     // payload bytes of the open message parsed so far
	msg    []byte  // payload of the open message, when not zero-copy
	msgBuf *[]byte // pooled buffer behind msg, nil when none

	closed bool // a close frame was received; later bytes are ignored
	err    *protocolError

	frames    uint64 // frames parsed, for statistics
	completed uint64 // messages, and control frames outside a message, completed
	maxHeld   int    // largest cap(msg) ever held, in bytes
}

func newDecoder(maxSize int, want byte, deflate bool) decoder {
	return decoder{maxSize: maxSize, want: want, deflate: deflate}
}

// busy reports whether a frame or message is partly received.
func (d *decoder) busy() bool {
	return d.hdrN > 0 || d.inFrame || d.msgOp != 0
}

// feed parses p (masked client bytes; unmasked in place) and reports what it
// finds to sink. After it returns an error, later calls return the same error.
func (d *decoder) feed(p []byte, sink frameSink) *protocolError {
	if d.err != nil {
		return d.err
	}
	for len(p) > 0 && !d.closed {
		if !d.inFrame {
			var n int
			p, n = d.readHeader(p)
			if d.err != nil {
				return d.err
			}
			if n == 0 {
				return nil // header incomplete; its bytes are kept
			}
			if d.remaining == 0 {
				d.endFrame(nil, sink)
				if d.err != nil {
					return d.err
				}
				continue
			}
		}
		p = d.readPayload(p, sink)
		if d.err != nil {
			return d.err
		}
	}
	return nil
}

// readHeader consumes a header from p, joining it with bytes held from
// earlier feeds. It returns the rest of p and the header length, 0 when the
// header is still incomplete (then all of p was consumed).
func (d *decoder) readHeader(p []byte) ([]byte, int) {
	if d.hdrN == 0 {
		n := d.parseHeader(p)
		if d.err != nil {
			return nil, 0
		}
		if n == 0 {
			d.hdrN = copy(d.hdr[:], p)
			return nil, 0
		}
		return p[n:], n
	}
	held := d.hdrN
	take := copy(d.hdr[held:], p)
	n := d.parseHeader(d.hdr[:held+take])
	if d.err != nil {
		return nil, 0
	}
	if n == 0 {
		d.hdrN = held + take
		return nil, 0
	}
	d.hdrN = 0
	return p[n-held:], n
}

// parseHeader validates the header bytes in b as far as they go and, when b
// holds a whole header, loads it into the frame state and returns its
// length. It returns 0 when b is too short and sets d.err on a violation, as
// early as the bytes allow (so a too-long message fails before its payload).
func (d *decoder) parseHeader(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	b0, b1 := b[0], b[1]
	op := b0 & maskOp
	fin := b0&bitFIN != 0
	len7 := int(b1 & maskLen7)
	rsv1 := b0&bitRSV1 != 0
	switch {
	case b0&(bitsRSV&^bitRSV1) != 0, rsv1 && !d.deflate:
		d.err = errRSV
	case rsv1 && (isControl(op) || op == opContinuation):
		d.err = errRSV1
	case !knownOpcode(op):
		d.err = errOpcode
	case isControl(op) && !fin:
		d.err = errControlFragment
	case isControl(op) && len7 > maxControlPayload:
		d.err = errControlTooLong
	case b1&bitMask == 0:
		d.err = errUnmasked
	case op == opContinuation && d.msgOp == 0:
		d.err = errNoMessage
	case (op == opText || op == opBinary) && d.msgOp != 0:
		d.err = errMessageOpen
	case (op == opText || op == opBinary) && op != d.want:
		if d.want == opText {
			d.err = errWantText
		} else {
			d.err = errWantBinary
		}
	}
	if d.err != nil {
		return 0
	}
	need := 2
	length := uint64(len7)
	switch len7 {
	case int(len16Code):
		need = 4
		if len(b) < need {
			return 0
		}
		length = uint64(binary.BigEndian.Uint16(b[2:4]))
		if length < 126 {
			d.err = errNonMinimal
			return 0
		}
	case int(len64Code):
		need = 10
		if len(b) < need {
			return 0
		}
		length = binary.BigEndian.Uint64(b[2:10])
		if length>>63 != 0 {
			d.err = errLengthTopBit
			return 0
		}
		if length <= 0xFFFF {
			d.err = errNonMinimal
			return 0
		}
	}
	if !isControl(op) && length > uint64(d.maxSize-d.msgLen) {
		d.err = tooBig("message", d.maxSize, "client.max_message_bytes")
		return 0
	}
	need += 4
	if len(b) < need {
		return 0
	}
	d.inFrame = true
	d.fin = fin
	d.op = op
	copy(d.key[:], b[need-4:need])
	d.keyPos = 0
	d.remaining = int(length) // ≤ maxSize (data) or ≤ 125 (control)
	d.frames++
	if op == opText || op == opBinary {
		d.msgOp = op
		d.msgZ = rsv1
	}
	return need
}

// readPayload consumes payload bytes of the current frame from p and returns
// the rest of p.
func (d *decoder) readPayload(p []byte, sink frameSink) []byte {
	take := min(d.remaining, len(p))
	chunk := p[:take]
	d.keyPos = maskBytes(d.key, d.keyPos, chunk)
	d.remaining -= take
	rest := p[take:]

	if isControl(d.op) {
		if d.remaining == 0 && d.ctrlN == 0 {
			d.endFrame(chunk, sink) // whole control frame in this feed
			return rest
		}
		if d.ctrl == nil {
			d.ctrl = new([maxControlPayload]byte)
		}
		d.ctrlN += copy(d.ctrl[d.ctrlN:], chunk)
		if d.remaining == 0 {
			buf := d.ctrl[:d.ctrlN]
			d.ctrl, d.ctrlN = nil, 0
			d.endFrame(buf, sink)
		}
		return rest
	}

	if d.remaining == 0 && d.fin && d.msgLen == 0 && len(d.msg) == 0 {
		d.endFrame(chunk, sink) // whole message in one frame, in this feed
		return rest
	}
	d.hold(chunk)
	d.msgLen += take
	if d.remaining == 0 {
		d.endFrame(nil, sink)
	}
	return rest
}

// hold appends chunk to the open message. The buffer grows by doubling
// from what was received, never past maxSize; buffers come from a shared
// pool and go back to it when the message ends.
func (d *decoder) hold(chunk []byte) {
	need := len(d.msg) + len(chunk)
	if need > cap(d.msg) {
		size := min(max(2*cap(d.msg), need, 512), d.maxSize)
		nb := getBuf(size)
		if cap(*nb) > d.maxSize {
			putBuf(nb)
			b := make([]byte, size)
			nb = &b
		}
		n := copy(*nb, d.msg)
		if d.msgBuf != nil {
			putBuf(d.msgBuf)
		}
		d.msgBuf, d.msg = nb, (*nb)[:n]
		d.maxHeld = max(d.maxHeld, cap(d.msg))
	}
	d.msg = append(d.msg, chunk...)
}

// endFrame finishes the current frame. payload is the frame's unmasked
// payload for control frames and single-frame messages; nil when the data
// was held in d.msg.
func (d *decoder) endFrame(payload []byte, sink frameSink) {
	d.inFrame = false
	if isControl(d.op) && d.msgOp == 0 {
		d.completed++
	}
	switch d.op {
	case opPing:
		sink.ping(payload)
	case opPong:
		sink.pong(payload)
	case opClose:
		d.endClose(payload, sink)
	default:
		if !d.fin {
			return // more fragments follow
		}
		if payload == nil {
			payload = d.msg
		}
		op, z := d.msgOp, d.msgZ
		if op == opText && !z && !utf8.Valid(payload) {
			d.err = errTextUTF8
			return
		}
		d.msgOp, d.msgLen, d.msgZ = 0, 0, false
		d.completed++
		sink.message(op, payload, z)
		d.releaseMsg()
	}
}

// releaseMsg returns the message buffer to the pool: an idle connection
// holds none.
func (d *decoder) releaseMsg() {
	if d.msgBuf != nil {
		putBuf(d.msgBuf)
	}
	d.msgBuf, d.msg = nil, nil
}

// endClose validates a close frame payload (RFC 6455 §5.5.1, §7.4).
func (d *decoder) endClose(payload []byte, sink frameSink) {
	switch {
	case len(payload) == 0:
		d.closed = true
		sink.closeFrame(closeNoStatus, nil)
	case len(payload) == 1:
		d.err = errCloseLen1
	default:
		code := binary.BigEndian.Uint16(payload)
		reason := payload[2:]
		if !validReceivedCloseCode(code) {
			d.err = errCloseCode
			return
		}
		if !utf8.Valid(reason) {
			d.err = errCloseUTF8
			return
		}
		d.closed = true
		sink.closeFrame(code, reason)
	}
}
