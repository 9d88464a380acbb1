package support

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/internal/unitext"
)

// CleanText normalises a message the way it is stored: Unicode NFC (UAX
// #15); control characters and invisible format characters (zero-width
// spaces, bidirectional overrides) removed; runs of spaces and tabs within
// a line become one space; line breaks are kept (a support message may
// list steps), at most one empty line in a row; the ends are trimmed. The
// zero-width joiner stays only between two emoji, where it makes an emoji
// ZWJ sequence (UTS #51 ED-16: "👩\u200D💻"). Text with nothing visible
// left (only joiners, Hangul fillers, blank braille patterns, variation
// selectors: see unitext.Blank) becomes "". It returns the text and its
// length in characters.
func CleanText(s string) (string, int) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(strings.ReplaceAll(s, "\r\n", "\n"))
	kept := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\r', r == '\n': // line breaks stay in support messages
			kept = append(kept, '\n')
		default:
			if r, ok := unitext.Keep(kept, r); ok {
				kept = append(kept, r)
			}
		}
	}
	out := make([]rune, 0, len(kept))
	space, breaks := false, 0
	for i, r := range kept {
		switch {
		case r == '\n':
			breaks++
			space = false
			continue
		case r == ' ':
			space = true
			continue
		case r == unitext.ZWJ && (space || breaks > 0 || i+1 == len(kept) || !unitext.JoinerKept(out, kept[i+1])):
			continue
		}
		if len(out) > 0 {
			switch {
			case breaks > 1:
				out = append(out, '\n', '\n')
			case breaks == 1:
				out = append(out, '\n')
			case space:
				out = append(out, ' ')
			}
		}
		space, breaks = false, 0
		out = append(out, r)
	}
	return unitext.Finish(out)
}

// clip cuts s to at most n characters, marking a cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clipBytes cuts s to at most n bytes on a character boundary, after
// removing control characters.
func clipBytes(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ValidCID accepts a client message id: 1–64 printable ASCII characters.
func ValidCID(cid string) bool {
	if cid == "" || len(cid) > 64 {
		return false
	}
	for i := 0; i < len(cid); i++ {
		if cid[i] < 0x21 || cid[i] > 0x7e {
			return false
		}
	}
	return true
}
