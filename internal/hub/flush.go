package hub

import (
	"encoding/binary"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/deflate"
)

// flush writes what is waiting for c as transport messages of at most
// maxFrame bytes each (uncompressed): JSON replies joined by '\n', Protobuf
// replies each prefixed with its varint length (the protocol's framing).
func (c *Client) flush(s *writerShard) {
	msgs, closeWith := c.out.take()
	if closeWith != nil {
		defer c.t.Close(*closeWith)
	}
	if msgs == nil {
		return
	}
	if c.zmin > 0 {
		c.flushDeflated(s, msgs)
		c.out.giveBack(msgs)
		return
	}
	maxFrame := c.hub.cfg.MaxFrameBytes
	frame := s.frame[:0]
	var lenBuf [binary.MaxVarintLen64]byte
	for _, m := range msgs {
		if len(frame) > 0 && len(frame)+c.framedLen(m.data, len(frame) > 0) > maxFrame {
			c.writeFrame(frame)
			frame = frame[:0]
		}
		if c.proto == protocol.TypeJSON {
			if len(frame) > 0 {
				frame = append(frame, '\n')
			}
		} else {
			n := binary.PutUvarint(lenBuf[:], uint64(len(m.data)))
			frame = append(frame, lenBuf[:n]...)
		}
		frame = append(frame, m.data...)
	}
	if len(frame) > 0 {
		c.writeFrame(frame)
	}
	if cap(frame) <= 4*maxFrame {
		s.frame = frame[:0]
	}
	c.out.giveBack(msgs)
}

// framedLen is what m adds to a transport message: its bytes plus the
// '\n' before it (JSON, not first) or its varint length (Protobuf).
func (c *Client) framedLen(m []byte, notFirst bool) int {
	if c.proto == protocol.TypeJSON {
		if notFirst {
			return len(m) + 1
		}
		return len(m)
	}
	var lenBuf [binary.MaxVarintLen64]byte
	return len(m) + binary.PutUvarint(lenBuf[:], uint64(len(m)))
}

// flushDeflated is flush for a connection that negotiated compression: a
// message of at least c.zmin bytes goes compressed, as the piece the
// fan-out made once for every subscriber or, for a reply of this
// connection alone, compressed here; shorter messages and the protocol's
// separators ride uncompressed inside the same transport message. A
// transport message with nothing compressed in it is written plain.
func (c *Client) flushDeflated(s *writerShard, msgs []outMsg) {
	maxFrame := c.hub.cfg.MaxFrameBytes
	b := &s.zb
	b.Reset()
	size, pieces := 0, 0
	var lenBuf [binary.MaxVarintLen64]byte
	for _, m := range msgs {
		extra := c.framedLen(m.data, size > 0)
		if size > 0 && size+extra > maxFrame {
			c.writeDeflated(b, pieces)
			b.Reset()
			size, pieces = 0, 0
			extra = c.framedLen(m.data, false)
		}
		if c.proto == protocol.TypeJSON {
			if size > 0 {
				b.RawByte('\n')
			}
		} else {
			n := binary.PutUvarint(lenBuf[:], uint64(len(m.data)))
			b.Raw(lenBuf[:n])
		}
		size += extra
		switch {
		case m.z != nil:
			b.Piece(m.z)
			pieces++
		case len(m.data) >= int(c.zmin):
			s.zpiece = deflate.AppendPiece(s.zpiece[:0], m.data)
			b.Piece(s.zpiece)
			pieces++
		default:
			b.Raw(m.data)
		}
	}
	if size > 0 {
		c.writeDeflated(b, pieces)
	}
	if cap(s.zpiece) > 4*maxFrame {
		s.zpiece = nil
	}
}

// writeDeflated writes what b holds: compressed when it has a piece,
// plain otherwise.
func (c *Client) writeDeflated(b *deflate.Builder, pieces int) {
	if pieces == 0 {
		plain, _ := b.Plain()
		c.writeFrame(plain)
		return
	}
	if err := c.t.(DeflateTransport).WriteDeflated(b.Finish()); err == nil {
		c.hub.metrics.framesOut.Add(1)
		c.framesWritten.Add(1)
	}
}

func (c *Client) writeFrame(frame []byte) {
	if err := c.t.Write(frame); err == nil {
		c.hub.metrics.framesOut.Add(1)
		c.framesWritten.Add(1)
	}
}
