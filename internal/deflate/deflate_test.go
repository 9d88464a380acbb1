package deflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// inflateStd inflates a message body with the standard library alone, the
// way RFC 7692 §7.2.2 describes it: append 00 00 ff ff and read what comes
// out until the input ends.
func inflateStd(t *testing.T, body []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(body), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("standard inflate: %v", err)
	}
	return out
}

func TestPieceEndsWithSyncFlush(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("xyz", 1000)} {
		p := AppendPiece(nil, []byte(s))
		if !IsPiece(p) {
			t.Fatalf("piece of %d bytes ends % x", len(s), p[max(0, len(p)-6):])
		}
		var b Builder
		b.Piece(p)
		if got := inflateStd(t, b.Finish()); string(got) != s {
			t.Fatalf("round trip of %d bytes gave %d bytes", len(s), len(got))
		}
	}
}

// TestBuilderJoins joins pieces and raw bytes in every order that a
// writer produces (JSON: piece '\n' piece; Protobuf: prefix piece prefix
// piece; small messages raw) and checks both our Inflate and the standard
// library read back exactly the concatenation.
func TestBuilderJoins(t *testing.T) {
	big := bytes.Repeat([]byte(`{"text":"hello, room","user":"alice"}`), 40)
	huge := bytes.Repeat([]byte{'r'}, 70000) // past one stored block
	type part struct {
		raw   bool
		bytes []byte
	}
	cases := map[string][]part{
		"one piece":        {{false, big}},
		"json pieces":      {{false, big}, {true, []byte("\n")}, {false, []byte(`{"a":1}`)}, {true, []byte("\n")}, {false, big}},
		"protobuf":         {{true, []byte{0x85, 0x02}}, {false, big}, {true, []byte{0x07}}, {false, []byte("1234567")}},
		"raw only":         {{true, []byte("small")}},
		"raw at the end":   {{false, big}, {true, []byte("\n{}")}},
		"empty":            {},
		"raw past 64 KiB":  {{true, huge}, {false, big}},
		"raw after piece":  {{false, big}, {true, huge}},
		"empty piece":      {{false, nil}, {true, []byte("x")}},
		"adjacent pieces":  {{false, big}, {false, big}},
		"raw between raws": {{true, []byte("a")}, {true, []byte("b")}},
	}
	for name, parts := range cases {
		t.Run(name, func(t *testing.T) {
			var b Builder
			var want []byte
			for _, p := range parts {
				want = append(want, p.bytes...)
				if p.raw {
					b.Raw(p.bytes)
				} else {
					b.Piece(AppendPiece(nil, p.bytes))
				}
			}
			body := b.Finish()
			got, err := Inflate(nil, body, len(want)+10)
			if err != nil {
				t.Fatalf("Inflate: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Inflate gave %d bytes, want %d", len(got), len(want))
			}
			if std := inflateStd(t, body); !bytes.Equal(std, want) {
				t.Fatalf("standard inflate gave %d bytes, want %d", len(std), len(want))
			}
			b.Reset()
			if b.Len() != 0 {
				t.Fatalf("Len after Reset = %d", b.Len())
			}
		})
	}
}

func TestBuilderSeparatorCostsItsBytes(t *testing.T) {
	p := AppendPiece(nil, []byte(strings.Repeat("abc", 100)))
	var one, two Builder
	one.Piece(p)
	one.Piece(p)
	two.Piece(p)
	two.RawByte('\n')
	two.Piece(p)
	if d := len(two.Finish()) - len(one.Finish()); d != 1 {
		t.Fatalf("a one-byte separator between pieces costs %d bytes, want 1", d)
	}
}

func TestBuilderRejectsNonPiece(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Piece accepted bytes without a sync flush")
		}
	}()
	var b Builder
	b.Piece([]byte{1, 2, 3, 4, 5})
}

// TestInflateLimit: exactly the limit is accepted, one byte more is
// ErrTooLarge, and a bomb (64 MiB of zeros in a few KB) stops at the limit
// with bounded memory (case C04).
func TestInflateLimit(t *testing.T) {
	const limit = 10 << 10
	body := func(n int) []byte {
		var b Builder
		b.Piece(AppendPiece(nil, make([]byte, n)))
		return b.Finish()
	}
	if out, err := Inflate(nil, body(limit), limit); err != nil || len(out) != limit {
		t.Fatalf("exactly the limit: %d bytes, %v", len(out), err)
	}
	if _, err := Inflate(nil, body(limit+1), limit); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit+1: %v, want ErrTooLarge", err)
	}
	bomb := body(64 << 20)
	if len(bomb) > 128<<10 {
		t.Fatalf("bomb is %d bytes on the wire", len(bomb))
	}
	out, err := Inflate(nil, bomb, limit)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bomb: %v, want ErrTooLarge", err)
	}
	if cap(out) > 2*limit+1 {
		t.Fatalf("bomb grew the buffer to %d bytes for a limit of %d", cap(out), limit)
	}
	refuse := func() { _, _ = Inflate(make([]byte, 0, 2*limit), bomb, limit) }
	if !raceEnabled {
		if allocs := testing.AllocsPerRun(5, refuse); allocs > 4 {
			t.Fatalf("a refused bomb costs %.0f allocations", allocs)
		}
	}
	// In every build: what a refused 64 MiB bomb allocates is bounded by the
	// limit, not by what it would inflate to — the buffer given (2 × limit)
	// plus, when the pool had no inflater, a new one (under 64 KiB).
	var before, after runtime.MemStats
	const runs = 20
	runtime.ReadMemStats(&before)
	for range runs {
		refuse()
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 2*limit+64<<10 {
		t.Fatalf("a refused 64 MiB bomb allocated %d bytes a run; want at most %d", perRun, 2*limit+64<<10)
	}
}

func TestInflateKeepsPrefix(t *testing.T) {
	var b Builder
	b.Piece(AppendPiece(nil, []byte("world")))
	out, err := Inflate([]byte("hello "), b.Finish(), 5)
	if err != nil || string(out) != "hello world" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestInflateCorrupt(t *testing.T) {
	for _, body := range [][]byte{
		{0xff, 0xff, 0xff},                    // reserved block type 11
		{0x00, 0x05, 0x00, 0x00, 0x00},        // stored block whose NLEN is wrong
		AppendPiece(nil, []byte("hello"))[:3], // truncated mid-block
	} {
		if _, err := Inflate(nil, body, 1<<20); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("% x: %v, want ErrCorrupt", body, err)
		}
	}
}

// TestInflateFinalBlock accepts a body that ends with BFINAL set, which
// RFC 7692 §7.2.3.4 allows a sender to produce (standard zlib with
// Z_FINISH): the appended tail is then ignored.
func TestInflateFinalBlock(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write([]byte("final"))
	_ = w.Close()
	out, err := Inflate(nil, buf.Bytes(), 100)
	if err != nil || string(out) != "final" {
		t.Fatalf("got %q, %v", out, err)
	}
}
