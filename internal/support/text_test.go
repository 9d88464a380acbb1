package support

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/internal/unitext"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  hello   world  ", "hello world"},
		{"step 1\r\nstep 2", "step 1\nstep 2"},
		{"a\n\n\n\n\nb", "a\n\nb"},
		{"a \t\n\t b", "a\nb"},
		{"\n\nleading and trailing\n\n", "leading and trailing"},
		{"zero\u200Bwidth", "zerowidth"},
		{"bidi\u202Eoverride", "bidioverride"},
		{"e\u0301", "é"},         // composed to NFC
		{"e\u200B\u0301", "é"},   // composed again after the removal
		{"👩\u200D💻", "👩\u200D💻"}, // the joiner stays
		{"bell\x07", "bell"},
		{"bad\u200Dword", "badword"},              // a joiner in a word is dropped
		{"evil\u200D.com", "evil.com"},            // and in a domain
		{"👩 \u200D💻\n\u200D👩", "👩 💻\n👩"},          // and next to a space or a line break
		{"🏳\uFE0F\u200D🌈", "🏳\uFE0F\u200D🌈"},      // the joiner of a rainbow flag stays
		{"\u200D", ""},                            // nothing visible is empty
		{"\u3164\n\u2800 \u115F\u1160\uFFA0", ""}, // fillers, blank braille
		{"\uFE0F\u200B", ""},
		{"bad \xff byte", "bad \uFFFD byte"},
	} {
		got, n := CleanText(tc.in)
		if got != tc.want || n != utf8.RuneCountInString(tc.want) {
			t.Errorf("CleanText(%q) = %q, %d; want %q, %d", tc.in, got, n, tc.want, utf8.RuneCountInString(tc.want))
		}
	}
}

// FuzzCleanText: whatever comes in, what is stored is valid NFC UTF-8
// without control or format characters (but \n, and the joiner between
// two emoji), empty or with something visible, counted right, and
// cleaning it again changes nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "hello", "a\r\n\r\nb", "e\u200B\u0301", "\xff\xfe", "👩\u200D💻", " \t ", "bad\u200Dword", "👩\n\u200D💻", "\u3164"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, n := CleanText(in)
		if !utf8.ValidString(out) || !norm.NFC.IsNormalString(out) {
			t.Fatalf("CleanText(%q) = %q: not valid NFC UTF-8", in, out)
		}
		if n != utf8.RuneCountInString(out) {
			t.Fatalf("CleanText(%q) counted %d; the text has %d", in, n, utf8.RuneCountInString(out))
		}
		rs := []rune(out)
		for i, r := range rs {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != unitext.ZWJ) {
				t.Fatalf("CleanText(%q) = %q keeps %U", in, out, r)
			}
			if r == unitext.ZWJ && (i+1 == len(rs) || !unitext.JoinerKept(rs[:i], rs[i+1])) {
				t.Fatalf("CleanText(%q) = %q keeps a joiner that joins no emoji at character %d", in, out, i)
			}
		}
		if out != "" && !unitext.Visible(out) {
			t.Fatalf("CleanText(%q) = %q: nothing visible, yet not empty", in, out)
		}
		if again, _ := CleanText(out); again != out {
			t.Fatalf("CleanText is not idempotent: %q → %q → %q", in, out, again)
		}
	})
}
