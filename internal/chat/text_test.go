package chat

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestWait(t *testing.T) {
	for ms, want := range map[int64]string{
		0: "1 s", 1: "1 s", 999: "1 s", 1000: "1 s", 1001: "2 s", 59_000: "59 s", 60_000: "1 min",
		61_000: "1 min 1 s", 3_600_000: "1 h 0 min", 3_661_000: "1 h 2 min", 90_000_000: "1 d 1 h",
	} {
		if got := Wait(ms); got != want {
			t.Errorf("Wait(%d) = %q; want %q", ms, got, want)
		}
	}
}

func TestHasLink(t *testing.T) {
	for text, want := range map[string]bool{
		"see https://x.test": true, "WWW.Example.ORG": true, "bit.ly/abc": true, "go to shop.example.com now": true,
		"node.js rocks": false, "e.g. this": false, "3.14 is pi": false, "a.b": false, "mail me at a@b": false,
		"ftp://files": true, "example.com.": true,
		"evil\u3002com": true, "evil\uff0ecom": true, "evil\uff61com/x": true, "\u3002com": false,
		"\uff45\uff56\uff49\uff4c\uff0e\uff43\uff4f\uff4d": true, "evil.\uff43\uff4f\uff4d": true, "evil\ufe52com": true,
		"evil\u2024com": true, "evil\ufe12com": true, "\uff37\uff37\uff37.evil.test": true,
		"\uff48\uff54\uff54\uff50\uff53\uff1a\uff0f\uff0fevil.test": true, "\uff11\uff0e\uff15 cups": false,
	} {
		if got := HasLink(text); got != want {
			t.Errorf("HasLink(%q) = %v; want %v", text, got, want)
		}
	}
}

func TestMentions(t *testing.T) {
	got := strings.Join(Mentions("@Ada hi @bob. mail x@y.z @ada @-- @élise_2"), ",")
	if want := "ada,bob,élise_2"; got != want {
		t.Errorf("Mentions = %q; want %q", got, want)
	}
}

// FuzzCleanText: whatever comes in, what is stored is valid UTF-8 in NFC,
// without controls or line breaks, trimmed, and cleaning it again changes
// nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"hello", "  a\tb\n", "e\u0301", "\u202eevil", "\xff\xfe", "👩\u200d💻", "a\u200bb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, n := CleanText(in)
		if !utf8.ValidString(out) || !norm.NFC.IsNormalString(out) {
			t.Fatalf("CleanText(%q) = %q: not valid NFC UTF-8", in, out)
		}
		if n != utf8.RuneCountInString(out) {
			t.Fatalf("CleanText(%q) counted %d characters in %q", in, n, out)
		}
		if out != strings.TrimSpace(out) || strings.Contains(out, "  ") {
			t.Fatalf("CleanText(%q) = %q: not trimmed and collapsed", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200D' {
				t.Fatalf("CleanText(%q) kept U+%04X", in, r)
			}
		}
		if again, _ := CleanText(out); again != out {
			t.Fatalf("CleanText is not idempotent: %q → %q → %q", in, out, again)
		}
	})
}

func TestCleanTextComposesAfterRemoving(t *testing.T) {
	if got, n := CleanText("e\u200b\u0301"); got != "\u00e9" || n != 1 {
		t.Fatalf("CleanText(e, ZWSP, combining acute) = %q (%d); want é (1)", got, n)
	}
}
