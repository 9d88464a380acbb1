package wsconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

// ReadMessage returns the next text or binary message. The returned slice
// is valid until the next call. Pings are answered, pongs skipped; a close
// frame is answered and returned as *CloseError.
func (c *Conn) ReadMessage() (payload []byte, err error) {
	for {
		msg, need, err := c.nextMessage()
		if err != nil || msg != nil {
			return msg, err
		}
		if err := c.fill(need); err != nil {
			return nil, err
		}
	}
}

// nextMessage returns the next complete message in buf[r:w], handling the
// control frames before it. With none complete it returns nil and the
// number of unread bytes needed for the next frame.
func (c *Conn) nextMessage() (msg []byte, need int, err error) {
	for {
		op, fin, p, need, err := c.nextFrame()
		if err != nil || need > 0 {
			return nil, need, err
		}
		switch op {
		case opPing:
			if err := c.writeFrame(opPong, p); err != nil {
				return nil, 0, err
			}
		case opPong:
		case opClose:
			ce := &CloseError{Code: 1005}
			if len(p) >= 2 {
				ce.Code = int(binary.BigEndian.Uint16(p))
				ce.Reason = string(p[2:])
			}
			_ = c.writeFrame(opClose, p[:min(len(p), 2)])
			return nil, 0, ce
		case opText, opBinary:
			if c.fragmented {
				return nil, 0, errors.New("websocket: new message inside a fragmented one")
			}
			if fin {
				return p, 0, nil
			}
			c.fragmented = true
			c.msg = append(c.msg[:0], p...)
		case opContinuation:
			if !c.fragmented {
				return nil, 0, errors.New("websocket: continuation without a message")
			}
			if len(c.msg)+len(p) > maxMessage {
				return nil, 0, fmt.Errorf("websocket: message over %d bytes", maxMessage)
			}
			c.msg = append(c.msg, p...)
			if fin {
				c.fragmented = false
				return c.msg, 0, nil
			}
		default:
			return nil, 0, fmt.Errorf("websocket: unknown opcode %#x", op)
		}
	}
}

// nextFrame parses the frame at buf[r:] and consumes it, its payload left
// in place. When it is not all there yet it consumes nothing and returns
// the unread bytes it needs.
func (c *Conn) nextFrame() (op byte, fin bool, payload []byte, need int, err error) {
	avail := c.w - c.r
	if avail < 2 {
		return 0, false, nil, 2, nil
	}
	b0, b1 := c.buf[c.r], c.buf[c.r+1]
	if b1&0x80 != 0 {
		return 0, false, nil, 0, errors.New("websocket: server frame is masked")
	}
	if b0&0x70 != 0 {
		return 0, false, nil, 0, errors.New("websocket: reserved bits set")
	}
	head, n := 2, uint64(b1&0x7f)
	switch n {
	case 126:
		head = 4
	case 127:
		head = 10
	}
	if avail < head {
		return 0, false, nil, head, nil
	}
	switch head {
	case 4:
		n = uint64(binary.BigEndian.Uint16(c.buf[c.r+2:]))
	case 10:
		n = binary.BigEndian.Uint64(c.buf[c.r+2:])
	}
	if n > maxMessage {
		return 0, false, nil, 0, fmt.Errorf("websocket: frame of %d bytes", n)
	}
	if avail < head+int(n) {
		return 0, false, nil, head + int(n), nil
	}
	start := c.r + head
	c.r = start + int(n)
	return b0 & 0x0f, b0&0x80 != 0, c.buf[start:c.r], 0, nil
}

// room makes buf[w:] free for reading with buf[r:w] holding n bytes
// eventually: unread bytes move to the front, and buf grows to n.
func (c *Conn) room(n int) {
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	if len(c.buf)-c.r >= n && c.w < len(c.buf) {
		return
	}
	if n > len(c.buf) {
		grown := make([]byte, max(n, 2*len(c.buf)))
		c.w = copy(grown, c.buf[c.r:c.w])
		c.buf = grown
	} else {
		c.w = copy(c.buf, c.buf[c.r:c.w])
	}
	c.r = 0
}

// fill reads until buf[r:w] holds at least n bytes.
func (c *Conn) fill(n int) error {
	c.room(n)
	for c.w-c.r < n {
		m, err := c.nc.Read(c.buf[c.w:])
		c.w += m
		if err != nil && c.w-c.r < n {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("websocket: read: %w", err)
		}
	}
	return nil
}

// WriteText sends p as one masked text frame.
func (c *Conn) WriteText(p []byte) error { return c.writeFrame(opText, p) }

// WriteBinary sends p as one masked binary frame.
func (c *Conn) WriteBinary(p []byte) error { return c.writeFrame(opBinary, p) }

func (c *Conn) writeFrame(op byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := append(c.wbuf[:0], 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range b[start:] {
		b[start+i] ^= key[i&3]
	}
	c.wbuf = b
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("websocket: write: %w", err)
	}
	return nil
}
