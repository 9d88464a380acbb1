package main

import (
	"encoding/binary"
	"fmt"
)

// opText is the text frame opcode (RFC 6455 §5.2).
const opText = 0x1

// encodeFrame returns one unmasked, final text frame (server to client)
// whose payload is size bytes of JSON-like text.
func encodeFrame(size int) []byte {
	var hdr []byte
	switch {
	case size < 126:
		hdr = []byte{0x80 | opText, byte(size)}
	case size <= 0xFFFF:
		hdr = []byte{0x80 | opText, 126, 0, 0}
		binary.BigEndian.PutUint16(hdr[2:], uint16(size))
	default:
		hdr = make([]byte, 10)
		hdr[0], hdr[1] = 0x80|opText, 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(size))
	}
	f := append(hdr, make([]byte, size)...)
	payload := f[len(hdr):]
	for i := range payload {
		payload[i] = 'x'
	}
	if size >= 2 {
		payload[0], payload[size-1] = '"', '"'
	}
	return f
}

// frameCounter counts complete frames in a server-to-client byte stream,
// checking that each is an unmasked final text frame of the wanted size.
// With onStamp set it also reads the send time a paced serve writes after
// each payload's opening quote and hands it over as Unix nanoseconds.
type frameCounter struct {
	size    int64
	frames  int64
	onStamp func(unixNano int64)
	hdr     [10]byte
	hn      int   // header bytes held
	want    int   // header length once known (0 until two bytes are in)
	left    int64 // payload bytes still to skip
	digits  [stampDigits]byte
}

// feed consumes p; it returns an error at the first bad frame.
func (c *frameCounter) feed(p []byte) error {
	for len(p) > 0 {
		if c.left > 0 && c.onStamp != nil && c.size-c.left <= stampDigits {
			if err := c.readStamp(p[0]); err != nil {
				return err
			}
			p = p[1:]
			continue
		}
		if c.left > 0 {
			k := min(c.left, int64(len(p)))
			c.left -= k
			p = p[k:]
			if c.left == 0 {
				c.frames++
			}
			continue
		}
		c.hdr[c.hn] = p[0]
		c.hn++
		p = p[1:]
		if c.hn == 2 {
			if c.hdr[1]&0x80 != 0 {
				return fmt.Errorf("frame %d is masked", c.frames+1)
			}
			switch c.hdr[1] & 0x7F {
			case 126:
				c.want = 4
			case 127:
				c.want = 10
			default:
				c.want = 2
			}
		}
		if c.hn < 2 || c.hn < c.want {
			continue
		}
		var n int64
		switch c.want {
		case 2:
			n = int64(c.hdr[1] & 0x7F)
		case 4:
			n = int64(binary.BigEndian.Uint16(c.hdr[2:4]))
		default:
			n = int64(binary.BigEndian.Uint64(c.hdr[2:10]))
		}
		if c.hdr[0] != 0x80|opText || n != c.size {
			return fmt.Errorf("frame %d: first byte %#x, %d bytes; want a final text frame of %d", c.frames+1, c.hdr[0], n, c.size)
		}
		c.hn, c.want, c.left = 0, 0, n
		if n == 0 {
			c.frames++
		}
	}
	return nil
}

// readStamp takes one of the first stampDigits+1 payload bytes (the quote,
// then the digits) and reports the stamp after the last digit.
func (c *frameCounter) readStamp(b byte) error {
	pos := c.size - c.left // 0 is the opening quote
	c.left--
	if pos == 0 {
		return nil
	}
	if b < '0' || b > '9' {
		return fmt.Errorf("frame %d: byte %d of the payload is %q, want a digit of the send time", c.frames+1, pos, b)
	}
	c.digits[pos-1] = b
	if pos == stampDigits {
		var t int64
		for _, d := range c.digits {
			t = t*10 + int64(d-'0')
		}
		c.onStamp(t)
	}
	if c.left == 0 {
		c.frames++
	}
	return nil
}
