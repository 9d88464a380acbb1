package websocket

import (
	"bytes"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzDecoder feeds arbitrary bytes, in chunks whose sizes the fuzzer also
// picks, and checks the decoder's invariants: no panic; never more than the
// limit held for one message; every message within the limit, of the
// connection's type, and valid UTF-8 when text and not compressed; control
// payloads of at most 125 bytes; once failed, failed for good; and the same
// events and error whatever the chunking. A chunk value of 128 or more runs
// the decoder with permessage-deflate negotiated (RSV1 allowed).
func FuzzDecoder(f *testing.F) {
	f.Add(clientFrame(bitFIN|opText, []byte("hello")), uint8(0), false)
	f.Add(cat(clientFrame(opText, []byte("frag")), clientFrame(bitFIN|opPing, []byte("p")), clientFrame(bitFIN|opContinuation, []byte("ment"))), uint8(3), false)
	f.Add(clientFrame(bitFIN|opBinary, []byte{0, 1, 2}), uint8(1), true)
	f.Add(clientFrame(bitFIN|opClose, closePayload(1000, "bye")), uint8(2), false)
	f.Add(lenHeader(bitFIN|opText, 127, []byte{0x80, 0, 0, 0, 0, 0, 0, 1}), uint8(0), false)
	f.Add(lenHeader(bitFIN|opText, 126, []byte{0x01, 0x00}), uint8(5), false)
	f.Add(cat(clientFrame(bitRSV1|opText, []byte{0xf2, 0x48}), clientFrame(bitFIN|opContinuation, []byte{0xcd, 0xc9, 0xc9, 0x07, 0x00})), uint8(130), false)
	f.Add(clientFrame(bitFIN|bitRSV1|opPing, nil), uint8(200), true)

	const limit = 300
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, protobuf bool) {
		want := opText
		if protobuf {
			want = opBinary
		}
		deflate := chunk >= 128
		run := func(size int) ([]event, uint16) {
			in := bytes.Clone(data)
			d := newDecoder(limit, want, deflate)
			sink := &checkSink{t: t, want: want}
			var code uint16
			for len(in) > 0 {
				n := len(in)
				if size > 0 {
					n = min(size, n)
				}
				if err := d.feed(in[:n], sink); err != nil {
					code = err.code
					if again := d.feed([]byte{0x81}, sink); again != err {
						t.Fatalf("error not final: %v then %v", err, again)
					}
					break
				}
				in = in[n:]
			}
			if d.maxHeld > limit || cap(d.msg) > limit {
				t.Fatalf("held %d bytes, limit %d", max(d.maxHeld, cap(d.msg)), limit)
			}
			return sink.evs, code
		}
		evs, code := run(0)
		evs2, code2 := run(int(chunk%32) + 1)
		if code != code2 || !slices.Equal(evs, evs2) {
			t.Fatalf("chunking changed the result: %v/%d vs %v/%d", evs, code, evs2, code2)
		}
	})
}

// checkSink records events and checks each one as it arrives.
type checkSink struct {
	t    *testing.T
	want byte
	recSink
}

func (s *checkSink) message(op byte, p []byte, z bool) {
	if len(p) > 300 || op != s.want || (op == opText && !z && !utf8.Valid(p)) {
		s.t.Fatalf("bad message op=%d len=%d", op, len(p))
	}
	s.recSink.message(op, p, z)
}

func (s *checkSink) ping(p []byte) {
	if len(p) > maxControlPayload {
		s.t.Fatalf("ping of %d bytes", len(p))
	}
	s.recSink.ping(p)
}

func (s *checkSink) closeFrame(code uint16, r []byte) {
	if code != closeNoStatus && !validReceivedCloseCode(code) || !utf8.Valid(r) {
		s.t.Fatalf("bad close %d %q", code, r)
	}
	s.recSink.closeFrame(code, r)
}

// FuzzInflateMessage feeds arbitrary compressed message bodies through the
// connection's inflate path: no panic; the result within the limit and, for
// text, valid UTF-8; failures only 1009 (too big once inflated) or 1007
// (invalid data or UTF-8).
func FuzzInflateMessage(f *testing.F) {
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint16(100), false)
	f.Add([]byte{0x00}, uint16(0), true)
	f.Add([]byte{0xff, 0xff}, uint16(10), false)
	f.Add([]byte{0x00, 0x02, 0x00, 0xfd, 0xff, 0xc3, 0x28}, uint16(10), false)
	f.Fuzz(func(t *testing.T, body []byte, limit16 uint16, binary bool) {
		op := opText
		if binary {
			op = opBinary
		}
		limit := int(limit16)
		bp, perr := inflateMessage(op, body, limit)
		if perr != nil {
			if bp != nil || (perr.code != closeMessageTooBig && perr.code != closeInvalidPayload) {
				t.Fatalf("error %d %q with buffer %v", perr.code, perr.reason, bp != nil)
			}
			return
		}
		if len(*bp) > limit || (op == opText && !utf8.Valid(*bp)) {
			t.Fatalf("inflated %d bytes (limit %d), valid UTF-8 %v", len(*bp), limit, utf8.Valid(*bp))
		}
		putBuf(bp)
	})
}
