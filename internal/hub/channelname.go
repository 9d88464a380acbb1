package hub

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/wire"
)

// MaxChannelBytes is the longest channel name accepted, in bytes.
const MaxChannelBytes = 255

// maxNamespaceBytes bounds a namespace name: [a-z0-9_-]{1,32}.
const maxNamespaceBytes = 32

// ValidateChannel checks that name is a canonical channel name and returns
// its namespace ("" for names without ':'). Names are validated, never
// rewritten: a name that is not what it looks like is refused with 107, so
// the name that is authorised is exactly the name that is used.
//
// Rules: 1–255 bytes of valid UTF-8 in Unicode normalisation form C (UAX
// #15); no whitespace, control or invisible format characters, and no
// U+FFFD (the mark of a character a decoder could not read); an optional
// namespace before the first ':' made of [a-z0-9_-]{1,32}, followed by a
// non-empty rest.
func ValidateChannel(name string) (namespace string, err *wire.Error) {
	switch {
	case name == "":
		return "", wire.Errorf(wire.CodeBadRequest, false, "channel name is missing or empty: give a channel name such as \"room:lobby\"")
	case len(name) > MaxChannelBytes:
		return "", wire.Errorf(wire.CodeBadRequest, false, "channel name is %d bytes; the limit is %d", len(name), MaxChannelBytes)
	case !utf8.ValidString(name):
		return "", wire.Errorf(wire.CodeBadRequest, false, "channel name is not valid UTF-8")
	}
	for i, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", wire.Errorf(wire.CodeBadRequest, false, "channel name has a whitespace, control or invisible character (U+%04X) at byte %d", r, i)
		}
		if r == utf8.RuneError {
			// What a decoder puts for what it could not read (a lone
			// surrogate escape in JSON): the name sent was another one.
			return "", wire.Errorf(wire.CodeBadRequest, false, "channel name has U+FFFD, the replacement character, at byte %d: the name sent could not be decoded (a lone surrogate escape?)", i)
		}
	}
	if !norm.NFC.IsNormalString(name) {
		return "", wire.Errorf(wire.CodeBadRequest, false, "channel name is not in Unicode normalisation form C; send it normalised")
	}
	ns, rest, found := strings.Cut(name, ":")
	if !found {
		return "", nil
	}
	if !validNamespaceName(ns) {
		return "", wire.Errorf(wire.CodeBadRequest, false, "channel namespace %q is not valid: use 1–32 of a–z, 0–9, '_' and '-'", ns)
	}
	if rest == "" {
		return "", wire.Errorf(wire.CodeBadRequest, false, "channel name %q has nothing after the namespace", name)
	}
	return ns, nil
}

func validNamespaceName(ns string) bool {
	if ns == "" || len(ns) > maxNamespaceBytes {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// channelRest is the part of a channel name after its namespace.
func channelRest(name string) string {
	if _, rest, ok := strings.Cut(name, ":"); ok {
		return rest
	}
	return name
}
