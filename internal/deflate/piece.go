package deflate

import (
	"compress/flate"
	"sync"
)

// Level is the compression level of pieces: flate.BestSpeed. On short JSON
// messages higher levels save a few bytes at several times the CPU (see
// docs/benchmarks.md).
const Level = flate.BestSpeed

// syncTail is how a sync flush ends a DEFLATE stream: the LEN and NLEN
// fields of an empty stored block (RFC 1951 §3.2.4). RFC 7692 §7.2.1 removes
// these four bytes from the end of a message; the receiver adds them back.
var syncTail = [4]byte{0x00, 0x00, 0xff, 0xff}

// appendWriter is an io.Writer that appends to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// compressor is a pooled flate.Writer with its output slice.
type compressor struct {
	fw  *flate.Writer
	out appendWriter
}

var compressors = sync.Pool{New: func() any {
	c := &compressor{}
	fw, err := flate.NewWriter(&c.out, Level)
	if err != nil {
		panic(err) // Level is a valid constant
	}
	c.fw = fw
	return c
}}

// AppendPiece appends src, compressed, to dst as a piece: a raw DEFLATE
// stream that refers to nothing before it and ends with a sync flush, so
// its last four bytes are 00 00 ff ff. It is safe for concurrent use.
func AppendPiece(dst, src []byte) []byte {
	c := compressors.Get().(*compressor)
	c.out.b = dst
	c.fw.Reset(&c.out)
	// Writes to an appendWriter cannot fail.
	_, _ = c.fw.Write(src)
	_ = c.fw.Flush()
	out := c.out.b
	c.out.b = nil
	compressors.Put(c)
	return out
}

// IsPiece reports whether p ends the way every piece ends (with a sync
// flush). Builder.Piece requires it.
func IsPiece(p []byte) bool {
	n := len(p)
	return n >= 5 && [4]byte(p[n-4:]) == syncTail
}
