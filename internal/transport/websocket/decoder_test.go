package websocket

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

type event struct {
	kind string // "msg", "ping", "pong", "close"
	op   byte
	data string
	code uint16
	z    bool // compressed (RSV1)
}

func (e event) String() string {
	return fmt.Sprintf("%s(op=%d code=%d len=%d)", e.kind, e.op, e.code, len(e.data))
}

type recSink struct{ evs []event }

func (s *recSink) message(op byte, p []byte, z bool) {
	s.evs = append(s.evs, event{kind: "msg", op: op, data: string(p), z: z})
}
func (s *recSink) ping(p []byte) { s.evs = append(s.evs, event{kind: "ping", data: string(p)}) }
func (s *recSink) pong(p []byte) { s.evs = append(s.evs, event{kind: "pong", data: string(p)}) }
func (s *recSink) closeFrame(code uint16, r []byte) {
	s.evs = append(s.evs, event{kind: "close", code: code, data: string(r)})
}

// decodeChunks feeds input (copied) in chunks of the given sizes (the last
// size repeats) and returns the events and the error code (0 for none).
func decodeChunks(maxSize int, want byte, input []byte, sizes ...int) ([]event, uint16, *decoder) {
	in := bytes.Clone(input)
	d := newDecoder(maxSize, want, false)
	var sink recSink
	var code uint16
	for i := 0; len(in) > 0; i++ {
		n := len(in)
		if len(sizes) > 0 {
			n = min(sizes[min(i, len(sizes)-1)], len(in))
		}
		if err := d.feed(in[:n], &sink); err != nil {
			code = err.code
			break
		}
		in = in[n:]
	}
	return sink.evs, code, &d
}

func lenHeader(b0 byte, code byte, ext []byte) []byte {
	h := append([]byte{b0, bitMask | code}, ext...)
	return append(h, testMask[:]...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDecoderRules(t *testing.T) {
	const L = 1024
	big := bytes.Repeat([]byte("a"), L)
	tests := []struct {
		name string
		in   []byte
		want []event
		code uint16
	}{
		{"text", clientFrame(bitFIN|opText, []byte("hello")), []event{{kind: "msg", op: opText, data: "hello"}}, 0},
		{"empty text", clientFrame(bitFIN|opText, nil), []event{{kind: "msg", op: opText}}, 0},
		{"two messages", cat(clientFrame(bitFIN|opText, []byte("a")), clientFrame(bitFIN|opText, []byte("b"))),
			[]event{{kind: "msg", op: opText, data: "a"}, {kind: "msg", op: opText, data: "b"}}, 0},
		{"exactly L", clientFrame(bitFIN|opText, big), []event{{kind: "msg", op: opText, data: string(big)}}, 0},
		{"L+1", clientFrame(bitFIN|opText, append(big, 'a')), nil, closeMessageTooBig},
		{"fragments with ping", cat(clientFrame(opText, big[:L-1]), clientFrame(bitFIN|opPing, []byte("p")), clientFrame(bitFIN|opContinuation, []byte("z"))),
			[]event{{kind: "ping", data: "p"}, {kind: "msg", op: opText, data: string(big[:L-1]) + "z"}}, 0},
		{"fragments over L", cat(clientFrame(opText, big[:L-1]), clientFrame(bitFIN|opContinuation, []byte("zz"))), nil, closeMessageTooBig},
		{"ping", clientFrame(bitFIN|opPing, []byte("x")), []event{{kind: "ping", data: "x"}}, 0},
		{"pong", clientFrame(bitFIN|opPong, nil), []event{{kind: "pong"}}, 0},
		{"close 1000", clientFrame(bitFIN|opClose, closePayload(1000, "bye")), []event{{kind: "close", code: 1000, data: "bye"}}, 0},
		{"close empty", clientFrame(bitFIN|opClose, nil), []event{{kind: "close", code: closeNoStatus}}, 0},
		{"close then junk ignored", cat(clientFrame(bitFIN|opClose, closePayload(4000, "")), []byte{0xFF, 0xFF}),
			[]event{{kind: "close", code: 4000}}, 0},
		{"RSV1", clientFrame(bitFIN|0x40|opText, []byte("x")), nil, closeProtocolError},
		{"RSV2", clientFrame(bitFIN|0x20|opText, []byte("x")), nil, closeProtocolError},
		{"RSV3", clientFrame(bitFIN|0x10|opText, []byte("x")), nil, closeProtocolError},
		{"opcode 0x3", clientFrame(bitFIN|0x3, nil), nil, closeProtocolError},
		{"opcode 0x7", clientFrame(bitFIN|0x7, nil), nil, closeProtocolError},
		{"opcode 0xB", clientFrame(bitFIN|0xB, nil), nil, closeProtocolError},
		{"ping 126 bytes", clientFrame(bitFIN|opPing, bytes.Repeat([]byte("p"), 126)), nil, closeProtocolError},
		{"ping FIN=0", clientFrame(opPing, nil), nil, closeProtocolError},
		{"continuation without message", clientFrame(bitFIN|opContinuation, []byte("x")), nil, closeProtocolError},
		{"text inside fragmented message", cat(clientFrame(opText, []byte("a")), clientFrame(bitFIN|opText, []byte("b"))), nil, closeProtocolError},
		{"unmasked", []byte{bitFIN | opText, 1, 'x'}, nil, closeProtocolError},
		{"invalid UTF-8", clientFrame(bitFIN|opText, []byte{0xC3, 0x28}), nil, closeInvalidPayload},
		{"invalid UTF-8 across fragments", cat(clientFrame(opText, []byte{0xC3}), clientFrame(bitFIN|opContinuation, []byte{0x28})), nil, closeInvalidPayload},
		{"UTF-8 rune split across fragments", cat(clientFrame(opText, []byte{0xC3}), clientFrame(bitFIN|opContinuation, []byte{0xA9})),
			[]event{{kind: "msg", op: opText, data: "é"}}, 0},
		{"binary on JSON", clientFrame(bitFIN|opBinary, []byte{1}), nil, closeUnsupportedData},
		{"close 1-byte", clientFrame(bitFIN|opClose, []byte{3}), nil, closeProtocolError},
		{"close 1005", clientFrame(bitFIN|opClose, closePayload(1005, "")), nil, closeProtocolError},
		{"close 999", clientFrame(bitFIN|opClose, closePayload(999, "")), nil, closeProtocolError},
		{"close 1004", clientFrame(bitFIN|opClose, closePayload(1004, "")), nil, closeProtocolError},
		{"close 1006", clientFrame(bitFIN|opClose, closePayload(1006, "")), nil, closeProtocolError},
		{"close 1015", clientFrame(bitFIN|opClose, closePayload(1015, "")), nil, closeProtocolError},
		{"close 1016", clientFrame(bitFIN|opClose, closePayload(1016, "")), nil, closeProtocolError},
		{"close 2999", clientFrame(bitFIN|opClose, closePayload(2999, "")), nil, closeProtocolError},
		{"close 5000", clientFrame(bitFIN|opClose, closePayload(5000, "")), nil, closeProtocolError},
		{"close reason bad UTF-8", clientFrame(bitFIN|opClose, closePayload(1000, "\xC3\x28")), nil, closeInvalidPayload},
		{"len64 top bit 8000..01", cat(lenHeader(bitFIN|opText, 127, []byte{0x80, 0, 0, 0, 0, 0, 0, 1}), []byte{'x'}), nil, closeProtocolError},
		{"len64 FFFF..", lenHeader(bitFIN|opText, 127, bytes.Repeat([]byte{0xFF}, 8)), nil, closeProtocolError},
		{"len64 7FFF..", lenHeader(bitFIN|opText, 127, append([]byte{0x7F}, bytes.Repeat([]byte{0xFF}, 7)...)), nil, closeMessageTooBig},
		{"len64 1MiB+1", lenHeader(bitFIN|opText, 127, []byte{0, 0, 0, 0, 0, 0x10, 0, 1}), nil, closeMessageTooBig},
		{"len64 non-minimal 5", cat(lenHeader(bitFIN|opText, 127, []byte{0, 0, 0, 0, 0, 0, 0, 5}), []byte("hello")), nil, closeProtocolError},
		{"len16 non-minimal 100", cat(lenHeader(bitFIN|opText, 126, []byte{0, 100}), bytes.Repeat([]byte{'a'}, 100)), nil, closeProtocolError},
	}
	splits := [][]int{nil, {1}, {2}, {3}, {7}, {13, 1}, {100}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, sizes := range splits {
				evs, code, d := decodeChunks(L, opText, tc.in, sizes...)
				if code != tc.code {
					t.Fatalf("chunks %v: close code %d, want %d (events %v)", sizes, code, tc.code, evs)
				}
				if tc.code == 0 && !slices.Equal(evs, tc.want) {
					t.Fatalf("chunks %v: events %v, want %v", sizes, evs, tc.want)
				}
				if d.maxHeld > L {
					t.Fatalf("chunks %v: held %d bytes, limit %d", sizes, d.maxHeld, L)
				}
			}
		})
	}
}

// A declared length over the limit fails from the header alone: the payload
// never has to arrive (C01 steps 3–4).
func TestDecoderTooBigFromHeader(t *testing.T) {
	d := newDecoder(64<<10, opText, false)
	hdr := lenHeader(bitFIN|opText, 127, []byte{0, 0, 0, 0, 0, 0x10, 0, 1})
	err := d.feed(hdr[:10], &recSink{}) // no mask key yet
	if err == nil || err.code != closeMessageTooBig {
		t.Fatalf("got %v, want 1009 after the length bytes", err)
	}
	// The reason names the limit and the setting that raises it.
	if want := "message over 65536 bytes (server setting client.max_message_bytes)"; err.reason != want {
		t.Fatalf("reason %q; want %q", err.reason, want)
	}
}

// 200 continuations of 1 KiB after a 1 KiB start fail with 1009 as soon as
// the running total passes the limit, holding at most the limit (C01 step 6).
func TestDecoderFragmentFlood(t *testing.T) {
	const L = 64 << 10
	kib := bytes.Repeat([]byte("k"), 1024)
	d := newDecoder(L, opText, false)
	var sink recSink
	frame := clientFrame(opText, kib)
	err := d.feed(frame, &sink)
	sent := 1024
	for i := 0; i < 200 && err == nil; i++ {
		b0 := opContinuation
		if i == 199 {
			b0 |= bitFIN
		}
		err = d.feed(clientFrame(b0, kib), &sink)
		sent += 1024
	}
	if err == nil || err.code != closeMessageTooBig {
		t.Fatalf("got %v, want 1009", err)
	}
	if sent != L+1024 {
		t.Fatalf("failed after %d bytes, want at the frame that passes %d", sent, L)
	}
	if d.maxHeld > L {
		t.Fatalf("held %d bytes, limit %d", d.maxHeld, L)
	}
	if len(sink.evs) != 0 {
		t.Fatalf("events %v", sink.evs)
	}
}

// A message that sits whole in the fed buffer is handed over in place.
func TestDecoderZeroCopy(t *testing.T) {
	in := clientFrame(bitFIN|opText, []byte("in place"))
	d := newDecoder(1024, opText, false)
	var got []byte
	sink := funcSink{msg: func(_ byte, p []byte) { got = p }}
	if err := d.feed(in, sink); err != nil {
		t.Fatal(err)
	}
	if string(got) != "in place" || &got[0] != &in[6] {
		t.Fatalf("payload %q not aliased into the input", got)
	}
	if d.msg != nil {
		t.Fatalf("decoder allocated a message buffer")
	}
}

type funcSink struct{ msg func(byte, []byte) }

func (f funcSink) message(op byte, p []byte, _ bool) { f.msg(op, p) }
func (funcSink) ping([]byte)                         {}
func (funcSink) pong([]byte)                         {}
func (funcSink) closeFrame(uint16, []byte)           {}

func TestDecoderProtobufWantsBinary(t *testing.T) {
	_, code, _ := decodeChunks(1024, opBinary, clientFrame(bitFIN|opText, []byte("x")))
	if code != closeUnsupportedData {
		t.Fatalf("text on protobuf: code %d, want 1003", code)
	}
	evs, code, _ := decodeChunks(1024, opBinary, clientFrame(bitFIN|opBinary, []byte{0xFF, 0}))
	if code != 0 || len(evs) != 1 || evs[0].data != "\xFF\x00" {
		t.Fatalf("binary on protobuf: %v %d", evs, code)
	}
}

func TestMaskBytes(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 70 {
		for pos := range 4 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(i * 7)
			}
			want := bytes.Clone(b)
			for i := range want {
				want[i] ^= key[(pos+i)&3]
			}
			if next := maskBytes(key, pos, b); next != (pos+n)&3 || !bytes.Equal(b, want) {
				t.Fatalf("n=%d pos=%d: wrong result", n, pos)
			}
		}
	}
}

func TestTruncateReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	got := truncateReason(long)
	if len(got) > maxCloseReason || !utf8.ValidString(got) || len(got) != 122 {
		t.Fatalf("len %d valid %v", len(got), utf8.ValidString(got))
	}
	if got := truncateReason("ok\xffok"); got != "okok" {
		t.Fatalf("got %q", got)
	}
	p := appendClosePayload(nil, 3008, long)
	if len(p) > maxControlPayload || binary.BigEndian.Uint16(p) != 3008 {
		t.Fatalf("close payload %d bytes", len(p))
	}
}

func TestAppendHeaderMinimal(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xFFFF, 0x10000} {
		h := appendHeader(nil, opBinary, n)
		want := map[int]int{0: 2, 125: 2, 126: 4, 0xFFFF: 4, 0x10000: 10}[n]
		if len(h) != want || h[0] != bitFIN|opBinary {
			t.Fatalf("n=%d: header % x", n, h)
		}
	}
}
