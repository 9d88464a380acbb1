package support

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CleanText normalises a message the way it is stored: Unicode NFC (UAX
// #15); control characters and invisible format characters (zero-width
// spaces, bidirectional overrides) removed, except the zero-width joiner
// that emoji sequences need; runs of spaces and tabs within a line become
// one space; line breaks are kept (a support message may list steps), at
// most one empty line in a row; the ends are trimmed. It returns the text
// and its length in characters.
func CleanText(s string) (string, int) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(strings.ReplaceAll(s, "\r\n", "\n"))
	var b strings.Builder
	b.Grow(len(s))
	space, breaks := false, 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			breaks++
			space = false
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r) && r != '\u200D':
			continue
		}
		if b.Len() > 0 {
			switch {
			case breaks > 1:
				b.WriteString("\n\n")
			case breaks == 1:
				b.WriteByte('\n')
			case space:
				b.WriteByte(' ')
			}
		}
		space, breaks = false, 0
		b.WriteRune(r)
	}
	out := b.String()
	if !norm.NFC.IsNormalString(out) {
		// Removing a character can bring a base and a combining mark
		// together: compose again.
		out = norm.NFC.String(out)
	}
	return out, utf8.RuneCountInString(out)
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

// validCID accepts a client message id: 1–64 printable ASCII characters.
func validCID(cid string) bool {
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
