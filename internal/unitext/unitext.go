// Package unitext holds the Unicode rules that every text liveroom keeps
// shares: which characters are emoji for the zero-width joiner (UTS #51,
// Unicode Emoji), and which ones show nothing, so that a message or a name
// made only of them counts as empty.
package unitext

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ZWJ is U+200D ZERO WIDTH JOINER.
const ZWJ = '\u200D'

// Pictographic reports whether r has the Extended_Pictographic property
// (UTS #51 Annex A, emoji-data.txt of Unicode 17.0): the characters emoji
// zero-width-joiner sequences are made of, which UAX #29 (rule GB11) keeps
// together as one character across a joiner.
func Pictographic(r rune) bool { return unicode.Is(extendedPictographic, r) }

// emojiModifier reports whether r may follow an emoji inside one element
// of an emoji ZWJ sequence (UTS #51 §1.4.9, "possible emoji"): a skin tone
// modifier (Emoji_Modifier, U+1F3FB–U+1F3FF), a variation selector for
// text or emoji presentation (U+FE0E, U+FE0F), the combining enclosing
// keycap (U+20E3) or a tag character (U+E0020–U+E007F).
func emojiModifier(r rune) bool {
	return r >= 0x1F3FB && r <= 0x1F3FF || r == 0xFE0E || r == 0xFE0F || r == 0x20E3 || r >= 0xE0020 && r <= 0xE007F
}

// JoinerKept reports whether a zero-width joiner between before (the
// text so far) and next joins two emoji: an emoji ZWJ sequence (UTS #51
// ED-16) such as 👩 U+200D 💻 ("woman technologist"), where the joiner
// is part of the emoji. As in UAX #29 rule GB11, the character before the
// joiner, after any modifiers of it, and the one after it are
// Extended_Pictographic. Anywhere else the joiner changes nothing a reader
// sees, and only hides a word from filters ("bad", U+200D, "word").
func JoinerKept(before []rune, next rune) bool {
	if !Pictographic(next) {
		return false
	}
	for i := len(before) - 1; i >= 0; i-- {
		if !emojiModifier(before[i]) {
			return Pictographic(before[i])
		}
	}
	return false
}

// Blank reports whether r shows nothing, or only blank space: white space,
// control and format characters (Cc, Cf: zero-width spaces and joiners,
// bidirectional controls), the other default-ignorable code points (UAX
// #44 Other_Default_Ignorable_Code_Point: the Hangul fillers U+115F,
// U+1160, U+3164 and U+FFA0, the combining grapheme joiner U+034F, …),
// variation selectors (Variation_Selector), and U+2800 BRAILLE PATTERN
// BLANK, a symbol with no dots. The Unicode Standard asks renderers to
// draw default-ignorable code points as nothing (chapter 5, "Default
// Ignorable Code Points").
func Blank(r rune) bool {
	return r == '\u2800' || unicode.IsSpace(r) || unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// Hidden reports whether r, following prev (the last character kept, 0
// at the start), is a default-ignorable code point that shows nothing
// there and must go, because between two letters it only hides a word
// from filters ("bad", U+034F, "word" renders "badword"): the other
// default-ignorable code points (UAX #44 Other_Default_Ignorable_Code_Point:
// the Hangul fillers, the combining grapheme joiner, …), and variation
// selectors anywhere but where they select something: after an emoji
// (U+FE0E, U+FE0F: text or emoji presentation, UTS #51), after a keycap
// base 0–9, # or * (the keycap sequences, UTS #51 ED-14c), after a Han
// ideograph (ideographic variation sequences, UTS #37) or a Mongolian
// letter (free variation selectors). Format characters (Cf) are not
// judged here: cleaning drops them apart from the emoji joiner.
func Hidden(prev, r rune) bool {
	switch {
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return true
	case !unicode.Is(unicode.Variation_Selector, r):
		return false
	case Pictographic(prev) || emojiModifier(prev) && prev != 0xFE0E && prev != 0xFE0F:
		return false
	case prev >= '0' && prev <= '9' || prev == '#' || prev == '*':
		return r != 0xFE0E && r != 0xFE0F
	case unicode.Is(unicode.Han, prev), unicode.Is(unicode.Mongolian, prev):
		return false
	}
	return true
}

// TagKept reports whether the tag character r (U+E0020–U+E007F, format
// characters that cleaning drops elsewhere) continues an emoji tag
// sequence after prev, the last character kept (UTS #51 ED-14a: U+1F3F4
// WAVING BLACK FLAG, tag specs U+E0020–U+E007E, then U+E007F CANCEL TAG),
// as in the flags of Scotland and England.
func TagKept(prev, r rune) bool {
	return r >= 0xE0020 && r <= 0xE007F && (prev == 0x1F3F4 || prev >= 0xE0020 && prev <= 0xE007E)
}

// Keep is what cleaning does with r after the characters kept so far:
// white space becomes ' ', as does U+2800 BRAILLE PATTERN BLANK (a space
// that is not white space); control characters, format characters (but
// the emoji joiner, which a later pass keeps only between two emoji, and
// the tags of a flag, TagKept) and Hidden characters go (ok false).
// Everything else is kept as it is.
func Keep(kept []rune, r rune) (rune, bool) {
	switch {
	case unicode.IsSpace(r), r == '\u2800':
		return ' ', true
	case unicode.IsControl(r):
		return 0, false
	case unicode.Is(unicode.Cf, r) && r != ZWJ && !TagKept(Last(kept), r):
		return 0, false
	case Hidden(Last(kept), r):
		return 0, false
	}
	return r, true
}

// Last is the last of rs, or 0 when there is none.
func Last(rs []rune) rune {
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1]
}

// Visible reports whether s has a character that is not Blank: text made
// only of blank characters reads as empty.
func Visible(s string) bool {
	for _, r := range s {
		if !Blank(r) {
			return true
		}
	}
	return false
}

// Finish turns cleaned characters into the stored text and its length in
// characters: composed again in NFC (UAX #15) when removing characters
// brought a base and a combining mark together ("e", U+200B, U+0301), and
// "" with 0 when nothing in it is visible.
func Finish(out []rune) (string, int) {
	text := string(out)
	if !norm.NFC.IsNormalString(text) {
		text = norm.NFC.String(text)
	}
	if !Visible(text) {
		return "", 0
	}
	return text, utf8.RuneCountInString(text)
}
