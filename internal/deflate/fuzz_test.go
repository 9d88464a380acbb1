package deflate

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzInflate feeds arbitrary bodies: Inflate must not panic, must never
// return more than the limit, must keep its buffer under about twice the
// limit, and must fail only with ErrTooLarge or ErrCorrupt.
func FuzzInflate(f *testing.F) {
	var b Builder
	b.Piece(AppendPiece(nil, bytes.Repeat([]byte("ab"), 300)))
	f.Add(b.Finish(), uint16(100))
	f.Add([]byte{0x00}, uint16(0))
	f.Add([]byte{0xff, 0xff, 0xff}, uint16(10))
	f.Add(AppendPiece(nil, make([]byte, 5000)), uint16(4999))
	f.Add([]byte{0x00, 0x01, 0x00, 0xfe, 0xff, 'x'}, uint16(1))
	f.Fuzz(func(t *testing.T, body []byte, limit16 uint16) {
		limit := int(limit16)
		out, err := Inflate(nil, body, limit)
		if len(out) > limit {
			t.Fatalf("returned %d bytes for a limit of %d", len(out), limit)
		}
		if cap(out) > 2*limit+512 {
			t.Fatalf("buffer of %d bytes for a limit of %d", cap(out), limit)
		}
		if err != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzBuilder cuts arbitrary data into parts, compresses some and carries
// the others raw, and checks the joined message inflates to the data.
func FuzzBuilder(f *testing.F) {
	f.Add([]byte(`{"a":1}`+"\n"+`{"b":2}`), []byte{3, 1, 200})
	f.Add(bytes.Repeat([]byte{0}, 1000), []byte{0x80, 0x7f})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		var b Builder
		rest := data
		for i, c := range cuts {
			n := min(int(c&0x7f)*8, len(rest))
			if c&0x80 != 0 || i%2 == 1 {
				b.Raw(rest[:n])
			} else {
				b.Piece(AppendPiece(nil, rest[:n]))
			}
			rest = rest[n:]
		}
		b.Piece(AppendPiece(nil, rest))
		got, err := Inflate(nil, b.Finish(), len(data))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %d bytes: %d bytes back, %v", len(data), len(got), err)
		}
	})
}
