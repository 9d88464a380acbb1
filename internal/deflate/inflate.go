package deflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrTooLarge is returned by Inflate when the message inflates to more than
// the limit. A WebSocket server closes the connection with 1009.
var ErrTooLarge = errors.New("deflate: inflated message passes the size limit")

// ErrCorrupt is returned by Inflate when the body is not a valid DEFLATE
// stream. A WebSocket server closes the connection with 1007.
var ErrCorrupt = errors.New("deflate: invalid compressed data")

// inflateTail follows every message body: the 00 00 ff ff that RFC 7692
// §7.2.2 says to append, then a final empty stored block so that a complete
// message reads to io.EOF and a truncated one does not.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// inflater is a pooled decompressor with its input readers.
type inflater struct {
	fr   io.ReadCloser
	body bytes.Reader
	tail bytes.Reader
	in   multi
}

// multi reads body then tail; unlike io.MultiReader it does not allocate.
type multi struct{ a, b *bytes.Reader }

func (m *multi) Read(p []byte) (int, error) {
	if m.a.Len() > 0 {
		return m.a.Read(p)
	}
	return m.b.Read(p)
}

func (m *multi) ReadByte() (byte, error) {
	if m.a.Len() > 0 {
		return m.a.ReadByte()
	}
	return m.b.ReadByte()
}

var inflaters = sync.Pool{New: func() any {
	f := &inflater{}
	f.in = multi{a: &f.body, b: &f.tail}
	f.fr = flate.NewReader(&f.in)
	return f
}}

// Inflate appends to dst the message that body (a permessage-deflate
// message body, RFC 7692 §7.2.2) inflates to. It returns ErrTooLarge as soon
// as the output would pass limit bytes, having read at most limit+1 bytes,
// and ErrCorrupt (wrapping the flate error) for invalid data. dst grows by
// doubling, capped at len(dst)+limit+1 bytes, so memory stays under about
// twice the limit whatever the body. It is safe for concurrent use.
func Inflate(dst, body []byte, limit int) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	f.body.Reset(body)
	f.tail.Reset(inflateTail)
	if err := f.fr.(flate.Resetter).Reset(&f.in, nil); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	start := len(dst)
	ceiling := start + limit + 1 // one byte past the limit proves it passed
	for {
		if len(dst) == cap(dst) {
			if len(dst) >= ceiling {
				return dst[:start+limit], ErrTooLarge
			}
			grown := make([]byte, len(dst), min(max(2*cap(dst), 512), ceiling))
			copy(grown, dst)
			dst = grown
		}
		room := dst[len(dst):min(cap(dst), ceiling)]
		n, err := f.fr.Read(room)
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst[:start+limit], ErrTooLarge
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return dst, nil
		default:
			return dst, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
}
