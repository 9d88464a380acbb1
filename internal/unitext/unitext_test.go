package unitext

import (
	"testing"
	"unicode"
)

func TestJoinerKept(t *testing.T) {
	for _, tc := range []struct {
		before string
		next   rune
		want   bool
	}{
		{"👩", '💻', true},           // woman technologist
		{"🧑🏽", '💻', true},          // with a skin tone
		{"🏳\uFE0F", '🌈', true},     // rainbow flag
		{"a 👨", '👩', true},         // only the emoji before it counts
		{"bad", 'w', false},        // inside a word
		{"evil", '.', false},       // inside a domain
		{"👩", 'a', false},          // an emoji, then a letter
		{"a", '💻', false},          // a letter, then an emoji
		{"", '💻', false},           // nothing before
		{"\U0001F3FB", '💻', false}, // a skin tone alone
		{"👩 ", '💻', false},         // a space between
		{"1", '\u20E3', false},     // not a ZWJ sequence
		{"\u200D", '💻', false},     // a joiner before
	} {
		if got := JoinerKept([]rune(tc.before), tc.next); got != tc.want {
			t.Errorf("JoinerKept(%q, %q) = %v; want %v", tc.before, tc.next, got, tc.want)
		}
	}
}

func TestBlank(t *testing.T) {
	for _, r := range []rune{' ', '\u00A0', '\u3000', '\t', '\u200B', '\u200D', '\u202E', '\u2060', '\uFEFF', '\u00AD',
		'\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800', '\u034F', '\uFE0F', '\U000E0041', '\U000E0100'} {
		if !Blank(r) {
			t.Errorf("Blank(%U) = false; it shows nothing", r)
		}
	}
	for _, r := range []rune{'a', 'é', '한', 'ㄱ', '.', '💻', '\u2801', '\U0001F3FB', '\u00A9'} {
		if Blank(r) {
			t.Errorf("Blank(%U) = true; it is visible", r)
		}
	}
	if Visible("\u3164\u200D \u2800\uFE0F") || !Visible("\u3164a") {
		t.Error("Visible: wrong for blank text or text with a letter")
	}
}

// TestPictographicTable: the table is well formed (sorted, disjoint ranges
// of stride 1, 16-bit ones below U+10000, LatinOffset counting those below
// U+0100) and holds the emoji it must.
func TestPictographicTable(t *testing.T) {
	last := rune(-1)
	latin := 0
	for _, r := range extendedPictographic.R16 {
		if rune(r.Lo) <= last || r.Hi < r.Lo || r.Stride != 1 {
			t.Fatalf("R16 range %04X–%04X out of order or malformed", r.Lo, r.Hi)
		}
		if r.Hi <= unicode.MaxLatin1 {
			latin++
		}
		last = rune(r.Hi)
	}
	for _, r := range extendedPictographic.R32 {
		if rune(r.Lo) <= last || r.Hi < r.Lo || r.Stride != 1 || r.Lo <= 0xFFFF {
			t.Fatalf("R32 range %X–%X out of order or malformed", r.Lo, r.Hi)
		}
		last = rune(r.Hi)
	}
	if latin != extendedPictographic.LatinOffset {
		t.Fatalf("LatinOffset %d; %d ranges are below U+0100", extendedPictographic.LatinOffset, latin)
	}
	for _, r := range []rune{'©', '™', '☀', '❤', '🌈', '😀', '👩', '💻', '🚀', '🧑', '🫠', '🏳'} {
		if !Pictographic(r) {
			t.Errorf("Pictographic(%U) = false", r)
		}
	}
	for _, r := range []rune{'a', '1', '#', '\u200D', '\uFE0F', '\U0001F3FB', '\U0001F1E6', '\u2800'} {
		if Pictographic(r) {
			t.Errorf("Pictographic(%U) = true", r)
		}
	}
}

// TestHidden: variation selectors stay where they select something and go
// between letters; the other default-ignorable code points always go.
func TestHidden(t *testing.T) {
	for _, c := range []struct {
		prev, r rune
		hidden  bool
	}{
		{'❤', 0xFE0F, false},   // ❤️: emoji presentation
		{'1', 0xFE0F, false},   // 1️⃣: a keycap's base
		{'1', 0xFE00, true},    // not a keycap selector
		{'葛', 0xE0100, false},  // an ideographic variation sequence
		{'ᠠ', 0x180B, false},   // a Mongolian free variation selector
		{'d', 0xFE0F, true},    // between two letters: hides a word
		{0xFE0F, 0xFE0F, true}, // a second selector
		{'d', 0x034F, true},    // combining grapheme joiner
		{'d', 0x3164, true},    // Hangul filler
		{'d', 'w', false},
		{0, 0xFE0F, true},
	} {
		if got := Hidden(c.prev, c.r); got != c.hidden {
			t.Errorf("Hidden(%U, %U) = %v; want %v", c.prev, c.r, got, c.hidden)
		}
	}
}
