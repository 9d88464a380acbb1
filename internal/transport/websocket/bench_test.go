package websocket

import (
	"bytes"
	"fmt"
	"testing"
)

type nopSink struct{ n int }

func (s *nopSink) message(_ byte, p []byte, _ bool) { s.n += len(p) }
func (*nopSink) ping([]byte)                        {}
func (*nopSink) pong([]byte)                        {}
func (*nopSink) closeFrame(uint16, []byte)          {}

// BenchmarkDecode measures parsing masked client frames. "whole" feeds each
// frame in one piece (the zero-copy path: no allocation); "split" feeds it
// in 1,460-byte pieces (one TCP segment each), which goes through the
// message buffer.
func BenchmarkDecode(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		frame := clientFrame(bitFIN|opBinary, bytes.Repeat([]byte("a"), size))
		buf := make([]byte, len(frame))
		b.Run(fmt.Sprintf("whole/%d", size), func(b *testing.B) {
			d := newDecoder(64<<10, opBinary, false)
			sink := &nopSink{}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, frame) // the decoder unmasks in place
				if err := d.feed(buf, sink); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("split/%d", size), func(b *testing.B) {
			d := newDecoder(64<<10, opBinary, false)
			sink := &nopSink{}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, frame)
				for p := buf; len(p) > 0; {
					n := min(1460, len(p))
					if err := d.feed(p[:n], sink); err != nil {
						b.Fatal(err)
					}
					p = p[n:]
				}
			}
		})
	}
}

// BenchmarkDecodeText adds UTF-8 validation.
func BenchmarkDecodeText(b *testing.B) {
	frame := clientFrame(bitFIN|opText, []byte(`{"id":1,"publish":{"channel":"room:1","data":{"text":"hello"}}}`))
	buf := make([]byte, len(frame))
	d := newDecoder(64<<10, opText, false)
	sink := &nopSink{}
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, frame)
		if err := d.feed(buf, sink); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode measures building a server frame into a pooled buffer, as
// Write does.
func BenchmarkEncode(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		payload := bytes.Repeat([]byte("a"), size)
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				bp := getBuf(len(payload) + maxServerHeader)
				_ = appendFrame((*bp)[:0], opText, payload)
				putBuf(bp)
			}
		})
	}
}

// BenchmarkMask measures unmasking 16 KiB.
func BenchmarkMask(b *testing.B) {
	p := make([]byte, 16<<10)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		maskBytes(testMask, 1, p)
	}
}
