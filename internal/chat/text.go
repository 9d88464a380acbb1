package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/internal/unitext"
)

// CleanText normalises a message the way it is stored: Unicode NFC (UAX
// #15), line breaks and tabs become spaces, control characters and
// invisible format characters (zero-width spaces, bidirectional
// overrides) are removed, runs of spaces collapse to one, and the ends
// are trimmed. The zero-width joiner stays only between two emoji, where
// it makes an emoji ZWJ sequence (UTS #51 ED-16: "👩\u200D💻"); anywhere
// else it would only hide a word from the term and link filters. Text
// with nothing visible left (only joiners, Hangul fillers, blank braille
// patterns, variation selectors: see unitext.Blank) becomes "". It
// returns the text and its length in characters.
func CleanText(s string) (string, int) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(s)
	kept := make([]rune, 0, len(s))
	for _, r := range s {
		if r, ok := unitext.Keep(kept, r); ok {
			kept = append(kept, r) // line breaks and tabs are spaces here
		}
	}
	out := make([]rune, 0, len(kept))
	space := false
	for i, r := range kept {
		switch {
		case r == ' ':
			space = len(out) > 0
			continue
		case r == unitext.ZWJ && (space || i+1 == len(kept) || !unitext.JoinerKept(out, kept[i+1])):
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, r)
	}
	return unitext.Finish(out)
}

// repeatKey is what two messages share when they count as the same text:
// case-folded, without spaces and punctuation.
func repeatKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.So, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Mentions returns the distinct @names in text, lower-cased, in order. A
// name is 1–32 of letters, digits, '_', '-' and '.' after an '@' that
// starts a word.
func Mentions(text string) []string {
	var out []string
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '@' || i > 0 && isWordRune(rs[i-1]) {
			continue
		}
		j := i + 1
		for j < len(rs) && j-i <= 32 && (isWordRune(rs[j]) || rs[j] == '-' || rs[j] == '.') {
			j++
		}
		name := strings.TrimRight(string(rs[i+1:j]), ".-")
		if name == "" {
			continue
		}
		name = strings.ToLower(name)
		dup := false
		for _, have := range out {
			if have == name {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, name)
		}
		i = j - 1
	}
	return out
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// labelDots turns the full stops that browsers read as domain label
// separators into '.': U+3002 (ideographic), U+FF0E (full-width) and
// U+FF61 (half-width ideographic), per IDNA (RFC 3490 §3.1; UTS #46 maps
// them the same way), so "spam。com" opens like "spam.com".
var labelDots = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// HasLink reports whether text holds something a browser would open as a
// link; see FindLink.
func HasLink(text string) bool { return FindLink(text) != "" }

// FindLink returns the first part of text a browser would open as a link,
// lower-cased as it was read, or "" when there is none: a URL with a
// scheme ("https://…"), a host starting with "www.", or a bare domain
// whose last label is a top-level domain run under ICANN ("spam.example.com",
// "bit.ly/x", "free.gift", "is.gd", "сайт.рф"). Top-level domains come from
// the Public Suffix List (publicsuffix.org) compiled into
// golang.org/x/net/publicsuffix; an internationalised one is looked up in
// its ASCII form (IDNA, RFC 5891). So file names whose extension is also a
// country's domain read as links ("readme.md": Moldova, "run.sh": Saint
// Helena), as they do in browsers' address bars, while "node.js" does not.
//
// The text is first brought to Unicode NFKC (UAX #15), as IDNA's mapping
// does (UTS #46 §4), so full-width letters, the one-dot leader and the
// small full stop read as their ASCII forms, and then every
// label-separating full stop reads as '.'.
func FindLink(text string) string {
	low := strings.ToLower(labelDots.Replace(norm.NFKC.String(text)))
	for _, word := range strings.Fields(low) {
		if i := strings.Index(word, "://"); i > 0 && isScheme(word[:i]) {
			return word
		}
	}
	for _, word := range strings.FieldsFunc(low, notHostRune) {
		// Slashes before a host ("//evil.com", "https:/evil.com" once the
		// scheme's colon split it off) do not stop a browser opening it.
		word = strings.TrimLeft(word, "/")
		host, _, _ := strings.Cut(word, "/")
		host = strings.Trim(host, ".-")
		dot := strings.LastIndexByte(host, '.')
		if dot <= 0 {
			continue
		}
		if strings.HasPrefix(host, "www.") || isTopLevelDomain(host[dot+1:]) {
			return strings.Trim(word, ".-")
		}
	}
	return ""
}

// isScheme reports whether s ends with a URL scheme (RFC 3986 §3.1: a
// letter, then letters, digits, '+', '-' or '.'); what comes before it
// ("see:", a quote) does not matter.
func isScheme(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' {
			n++
			continue
		}
		break
	}
	return n > 0 && s[len(s)-n] >= 'a' && s[len(s)-n] <= 'z'
}

// notHostRune reports whether r cannot be part of a host name or the path
// after it: hosts are letters and digits of any script, the marks some
// scripts need, '-' and '.'.
func notHostRune(r rune) bool {
	return !(r == '.' || r == '-' || r == '/' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
}

// isTopLevelDomain reports whether label (lower case) is a top-level
// domain managed by ICANN ("com", "gd", "zip", "xn--p1ai" for "рф"), not
// merely the last label of some text ("js", "txt").
func isTopLevelDomain(label string) bool {
	if label == "" {
		return false
	}
	ascii := label
	for i := 0; i < len(label); i++ {
		if label[i] >= utf8.RuneSelf {
			a, err := idna.Lookup.ToASCII(label)
			if err != nil {
				return false
			}
			ascii = a
			break
		}
	}
	suffix, icann := publicsuffix.PublicSuffix(ascii)
	return icann && suffix == ascii
}

// ValidEmoji accepts a reaction: 1–32 bytes of valid UTF-8 with at least
// one visible emoji or symbol (Extended_Pictographic, UTS #51, or a
// symbol of category S), and no ASCII, letters, spaces, controls or
// format characters (zero-width spaces, bidirectional controls), except
// the two an emoji is made of: a zero-width joiner between two emoji
// (UTS #51 ED-16, "👩\u200D💻") and the tag characters of a flag after
// U+1F3F4 (UTS #51 ED-14a, "🏴󠁧󠁢󠁳󠁣󠁴󠁿").
func ValidEmoji(s string) bool {
	if s == "" || len(s) > 32 || !utf8.ValidString(s) {
		return false
	}
	rs := []rune(s)
	seen := false
	for i, r := range rs {
		switch {
		case r < 0x80 || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.IsLetter(r):
			return false
		case r == unitext.ZWJ:
			if i+1 == len(rs) || !unitext.JoinerKept(rs[:i], rs[i+1]) {
				return false
			}
		case isTag(r):
			if !inTagSequence(rs, i) {
				return false
			}
		case unicode.Is(unicode.Cf, r):
			return false
		case !unitext.Blank(r) && (unitext.Pictographic(r) || unicode.IsSymbol(r)):
			seen = true
		}
	}
	return seen
}

// isTag reports whether r is a tag character (U+E0020–U+E007F).
func isTag(r rune) bool { return r >= 0xE0020 && r <= 0xE007F }

// inTagSequence reports whether the tag character at rs[i] is part of an
// emoji tag sequence (UTS #51 ED-14a): U+1F3F4 WAVING BLACK FLAG, then
// tag specs (U+E0020–U+E007E), then U+E007F CANCEL TAG.
func inTagSequence(rs []rune, i int) bool {
	start := i
	for start > 0 && isTag(rs[start-1]) {
		start--
	}
	end := i
	for end+1 < len(rs) && isTag(rs[end+1]) {
		end++
	}
	if start == 0 || rs[start-1] != 0x1F3F4 || end == start || rs[end] != 0xE007F {
		return false
	}
	for _, r := range rs[start:end] {
		if r == 0xE007F {
			return false
		}
	}
	return true
}
