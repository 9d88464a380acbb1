package chat

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/internal/unitext"
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
		// Top-level domains beyond the common few: shorteners, the free
		// ones spam favours, new generic ones, internationalised ones.
		"is.gd/abc": true, "free-robux.tk": true, "claim.gift": true, "update.zip": true, "сайт.рф": true,
		"公司.中国": true, "spam.xn--p1ai": true, "\u0430pple.com": true,
		// Not domains: no such top-level domain, no scheme, or a word that
		// only contains "www.".
		"config.json": false, "main.go": false, "v1.2.3": false, "Awww. so cute": false, "awww.cute": false,
		":// nothing": false, "see //evil.com": true, "https:/evil.com": true, "and/or": false, "\u043c\u0438\u0440.\u043c\u0438\u0440": false,
	} {
		if got := HasLink(text); got != want {
			t.Errorf("HasLink(%q) = %v; want %v", text, got, want)
		}
	}
}

// TestFindLinkNamesWhatItRead: the part returned is the one that read as a
// link, so a refusal can name it.
func TestFindLinkNamesWhatItRead(t *testing.T) {
	for text, want := range map[string]string{
		"see README.md first":           "readme.md",
		"go to (https://x.test/a) now":  "(https://x.test/a)",
		"join www.Example.org/room!":    "www.example.org/room",
		"ask at support.example.com.":   "support.example.com",
		"nothing here, node.js and 3.1": "",
	} {
		if got := FindLink(text); got != want {
			t.Errorf("FindLink(%q) = %q; want %q", text, got, want)
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
// without controls or line breaks, trimmed, with a zero-width joiner only
// between two emoji, empty or with something visible, and cleaning it
// again changes nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"hello", "  a\tb\n", "e\u0301", "\u202eevil", "\xff\xfe", "👩\u200d💻", "a\u200bb",
		"bad\u200dword", "👩\u200b\u200d💻", "👩 \u200d💻", "\u3164", "\u2800\ufe0f", "e\u200d\u0301"} {
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
		rs := []rune(out)
		for i, r := range rs {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != unitext.ZWJ {
				t.Fatalf("CleanText(%q) kept U+%04X", in, r)
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

func TestCleanTextComposesAfterRemoving(t *testing.T) {
	if got, n := CleanText("e\u200b\u0301"); got != "\u00e9" || n != 1 {
		t.Fatalf("CleanText(e, ZWSP, combining acute) = %q (%d); want é (1)", got, n)
	}
}

// FuzzFindLink: any text is read without failing, and what is named as a
// link is part of the text as it was read (normalised, lower case).
func FuzzFindLink(f *testing.F) {
	for _, s := range []string{"see a.com", "https://x", "сайт.рф", "\xff.com", "a.\u0301com", "x.xn--", "www."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		link := FindLink(in)
		read := strings.ToLower(labelDots.Replace(norm.NFKC.String(in)))
		if link != "" && !strings.Contains(read, link) {
			t.Fatalf("FindLink(%q) = %q, which is not in %q", in, link, read)
		}
	})
}

// TestCleanTextKeepsTagFlags: the flags of Scotland and England are a
// black flag and tag characters (format characters, dropped elsewhere);
// cleaning kept only the black flag. A tag between letters still goes.
func TestCleanTextKeepsTagFlags(t *testing.T) {
	scotland := "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"
	for in, want := range map[string]string{
		scotland + " flag":        scotland + " flag",
		"bad\U000E0067word":       "badword",
		"\U000E0067\U000E007F hi": "hi",
	} {
		if got, _ := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q; want %q", in, got, want)
		}
	}
}
