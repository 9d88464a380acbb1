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
	c.msg = c.msg[:0]
	fragmented := false
	for {
		op, fin, p, err := c.readFrame()
		if err != nil {
			return nil, err
		}
		switch op {
		case opPing:
			if err := c.writeFrame(opPong, p); err != nil {
				return nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			ce := &CloseError{Code: 1005}
			if len(p) >= 2 {
				ce.Code = int(binary.BigEndian.Uint16(p))
				ce.Reason = string(p[2:])
			}
			_ = c.writeFrame(opClose, p[:min(len(p), 2)])
			return nil, ce
		case opText, opBinary:
			if fragmented {
				return nil, errors.New("websocket: new message inside a fragmented one")
			}
			if fin {
				return p, nil
			}
			fragmented = true
			c.msg = append(c.msg, p...)
		case opContinuation:
			if !fragmented {
				return nil, errors.New("websocket: continuation without a message")
			}
			if len(c.msg)+len(p) > maxMessage {
				return nil, fmt.Errorf("websocket: message over %d bytes", maxMessage)
			}
			c.msg = append(c.msg, p...)
			if fin {
				return c.msg, nil
			}
		default:
			return nil, fmt.Errorf("websocket: unknown opcode %#x", op)
		}
	}
}

// readFrame returns the next frame's payload, in place in buf.
func (c *Conn) readFrame() (op byte, fin bool, payload []byte, err error) {
	if err := c.fill(2); err != nil {
		return 0, false, nil, err
	}
	b0, b1 := c.buf[c.r], c.buf[c.r+1]
	if b1&0x80 != 0 {
		return 0, false, nil, errors.New("websocket: server frame is masked")
	}
	if b0&0x70 != 0 {
		return 0, false, nil, errors.New("websocket: reserved bits set")
	}
	head, n := 2, uint64(b1&0x7f)
	switch n {
	case 126:
		head = 4
	case 127:
		head = 10
	}
	if err := c.fill(head); err != nil {
		return 0, false, nil, err
	}
	switch head {
	case 4:
		n = uint64(binary.BigEndian.Uint16(c.buf[c.r+2:]))
	case 10:
		n = binary.BigEndian.Uint64(c.buf[c.r+2:])
	}
	if n > maxMessage {
		return 0, false, nil, fmt.Errorf("websocket: frame of %d bytes", n)
	}
	if err := c.fill(head + int(n)); err != nil {
		return 0, false, nil, err
	}
	start := c.r + head
	c.r = start + int(n)
	return b0 & 0x0f, b0&0x80 != 0, c.buf[start:c.r], nil
}

// fill makes sure buf[r:w] holds at least n bytes, reading as much as the
// socket has. It moves unread bytes to the front and grows buf as needed.
func (c *Conn) fill(n int) error {
	if c.w-c.r >= n {
		return nil
	}
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	if len(c.buf)-c.r < n {
		if n > len(c.buf) {
			grown := make([]byte, max(n, 2*len(c.buf)))
			c.w = copy(grown, c.buf[c.r:c.w])
			c.buf = grown
		} else {
			c.w = copy(c.buf, c.buf[c.r:c.w])
		}
		c.r = 0
	}
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
