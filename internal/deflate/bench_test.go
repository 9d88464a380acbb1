package deflate

import (
	"bytes"
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
