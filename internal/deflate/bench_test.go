package deflate

import (
	"bytes"
	"compress/flate"
	"io"
	"runtime"
	"testing"
)

// BenchmarkAppendPiece compresses one 2 KiB JSON document: the cost paid
// once per publication per protocol when subscribers negotiated
// permessage-deflate.
func BenchmarkAppendPiece(b *testing.B) {
	src := bytes.Repeat([]byte(`{"id":17,"name":"player","score":1234},`), 52)
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendPiece(dst[:0], src)
	}
}

// BenchmarkContextTakeoverState reports the heap that one connection would
// hold with context takeover, which this package avoids: a compressor
// (flate.Writer at Level) and a decompressor (flate.Reader) kept between
// messages. Run with -benchtime=1x.
func BenchmarkContextTakeoverState(b *testing.B) {
	const n = 100
	measure := func(mk func() any) float64 {
		keep := make([]any, 0, n)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		for range n {
			keep = append(keep, mk())
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		runtime.KeepAlive(keep)
		return float64(ms.HeapAlloc-before) / n
	}
	for b.Loop() {
		b.ReportMetric(measure(func() any {
			w, _ := flate.NewWriter(io.Discard, Level)
			return w
		}), "writer-B/conn")
		b.ReportMetric(measure(func() any {
			return flate.NewReader(bytes.NewReader(nil))
		}), "reader-B/conn")
	}
}
