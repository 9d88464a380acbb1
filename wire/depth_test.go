package wire

import (
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// allocated returns the bytes the heap handed out while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBodyChecksAreLinear: the key checks used to spell out every key's
// path at every level, so a 50 KB body of 25,000 nested brackets (sent by
// a guest in a chat command) made the server allocate over a gigabyte, and
// a long key over a wide array cost its length once per element. The work
// must stay proportional to the body.
func TestBodyChecksAreLinear(t *testing.T) {
	longKey := strings.Repeat("k", 20_000)
	wide := `{"room":"r","x":{"` + longKey + `":[` + strings.Repeat(`{"a":1},`, 5_000) + `{"a":1}]}}`
	docs := map[string]string{
		"25,000 nested arrays":        `{"room":"r","x":` + strings.Repeat("[", 25_000) + strings.Repeat("]", 25_000) + `}`,
		"9,000 nested objects":        strings.Repeat(`{"a":`, 9_000) + "1" + strings.Repeat("}", 9_000),
		"a long key over a wide list": wide,
	}
	type req struct {
		Room string `json:"room"`
		X    any    `json:"x"`
	}
	for name, doc := range docs {
		budget := uint64(128*len(doc) + 1<<20)
		var problem string
		got := allocated(func() { problem = DecodeStrict([]byte(doc), &req{}, nil) })
		t.Logf("%s (%d bytes): DecodeStrict allocated %d bytes, said %q", name, len(doc), got, problem)
		if got > budget {
			t.Errorf("%s: DecodeStrict allocated %d bytes for a %d-byte body; want at most %d", name, got, len(doc), budget)
		}
		got = allocated(func() { DuplicateKey([]byte(doc), nil) })
		if got > budget {
			t.Errorf("%s: DuplicateKey allocated %d bytes for a %d-byte document; want at most %d", name, got, len(doc), budget)
		}
	}
}

func TestBodyDepthLimit(t *testing.T) {
	nest := func(n int) string {
		return `{"room":"r","x":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
	}
	var v struct {
		Room string `json:"room"`
		X    any    `json:"x"`
	}
	if p := DecodeStrict([]byte(nest(MaxBodyDepth)), &v, nil); p != "" {
		t.Fatalf("a body %d levels deep: %q; want it read", MaxBodyDepth, p)
	}
	if p := DecodeStrict([]byte(nest(MaxBodyDepth+1)), &v, nil); !strings.Contains(p, "more than 72 levels deep") {
		t.Fatalf("a body %d levels deep: %q; want it refused for its depth", MaxBodyDepth+1, p)
	}
	// Brackets inside strings do not count.
	if d := JSONDepth([]byte(`{"a":"[[[[\"{{{"}`), 10); d != 1 {
		t.Fatalf("JSONDepth with brackets in a string = %d; want 1", d)
	}
	// A duplicate deep inside is still named with its whole path.
	if p := DuplicateKey([]byte(`{"a":[{"b":1},{"c":{"d":1,"d":2}}]}`), nil); p != "a[1].c.d" {
		t.Fatalf("DuplicateKey = %q; want a[1].c.d", p)
	}
}

// FuzzDuplicateKey: any document is scanned without failing; a reported
// path ends with a key the document holds, and DecodeStrict answers
// every body.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":[{"b":1,"b":2}]}`, `[[[[`, `{"A":1}`, `{"data":{"x":1,"x":1}}`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		// Invalid UTF-8 decodes to U+FFFD (and DecodeStrict refuses it first).
		if p := DuplicateKey([]byte(doc), func(path string) bool { return path == "data" }); p != "" && utf8.ValidString(doc) {
			last := p[strings.LastIndexAny(p, ".]")+1:]
			if !strings.Contains(doc, last) && !strings.Contains(doc, `\`) { // a key may be spelled with escapes
				t.Fatalf("DuplicateKey(%q) = %q; %q is not in the document", doc, p, last)
			}
		}
		var v map[string]any
		_ = DecodeStrict([]byte(doc), &v, nil)
	})
}
