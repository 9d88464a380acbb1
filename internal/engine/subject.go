package engine

import (
	"errors"
	"strings"
)

// Subject layout. Every channel lives in one NATS subject token so a channel
// name may hold characters NATS subjects cannot ('.', '*', '>', spaces):
//
//	lr.in.<ns>.<channel>   publishers write here; the namespace's stream captures it
//	lr.out.<ns>.<channel>  the stream re-publishes each stored message here
//	lr.eph.<kind>.<ns>.<channel>  channels without history, and presence
//	                       events: core NATS only (<kind> is "pub" or "pres")
//	lr.presence.<ns>.<channel>.<user>.<client>  presence entries (a stream)
//
// <ns> is the namespace name, or "~" for the default namespace (a name that
// namespaces cannot take). <channel> is the whole channel name encoded by
// EncodeToken.
const (
	subjectIn        = "lr.in."
	subjectOut       = "lr.out."
	subjectEphemeral = "lr.eph."
	defaultNSToken   = "~"
)

// EncodeToken maps a channel name onto one NATS subject token, reversibly.
// Bytes in [A-Za-z0-9_:@-] are kept; every other byte (including '~', '.',
// '*', '>', whitespace and all non-ASCII bytes) becomes '~' followed by two
// upper-case hex digits. The result is never empty for a non-empty name and
// never contains a subject separator or wildcard.
func EncodeToken(name string) string {
	n := 0
	for i := 0; i < len(name); i++ {
		if !keepByte(name[i]) {
			n++
		}
	}
	if n == 0 {
		return name
	}
	var b strings.Builder
	b.Grow(len(name) + 2*n)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if keepByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('~')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0F])
	}
	return b.String()
}

// ErrBadToken is returned by DecodeToken for input EncodeToken cannot produce.
var ErrBadToken = errors.New("engine: malformed subject token")

// DecodeToken reverses EncodeToken. It accepts only the canonical encoding
// (upper-case hex, escapes only where EncodeToken puts them), so every channel
// name has exactly one token.
func DecodeToken(token string) (string, error) {
	if strings.IndexByte(token, '~') < 0 {
		for i := 0; i < len(token); i++ {
			if !keepByte(token[i]) {
				return "", ErrBadToken
			}
		}
		return token, nil
	}
	out := make([]byte, 0, len(token))
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c != '~' {
			if !keepByte(c) {
				return "", ErrBadToken
			}
			out = append(out, c)
			continue
		}
		if i+2 >= len(token) {
			return "", ErrBadToken
		}
		hi, ok1 := unhex(token[i+1])
		lo, ok2 := unhex(token[i+2])
		if !ok1 || !ok2 {
			return "", ErrBadToken
		}
		v := hi<<4 | lo
		if keepByte(v) {
			return "", ErrBadToken
		}
		out = append(out, v)
		i += 2
	}
	return string(out), nil
}

func keepByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '_' || c == ':' || c == '@' || c == '-':
		return true
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func nsToken(namespace string) string {
	if namespace == "" {
		return defaultNSToken
	}
	return namespace
}

// streamName is the JetStream stream holding one namespace's history.
func streamName(namespace string) string {
	if namespace == "" {
		return "lr_default"
	}
	return "lr_ns_" + namespace
}

// ChannelRef names a channel and its namespace, with its subjects computed
// once.
type ChannelRef struct {
	Name      string
	Namespace string
	token     string
}

// Ref builds a ChannelRef. namespace must be the channel's namespace as the
// hub resolved it ("" for the default namespace).
func Ref(namespace, name string) ChannelRef {
	return ChannelRef{Name: name, Namespace: namespace, token: nsToken(namespace) + "." + EncodeToken(name)}
}

func (c ChannelRef) inSubject() string  { return subjectIn + c.token }
func (c ChannelRef) outSubject() string { return subjectOut + c.token }
func (c ChannelRef) ephemeralSubject(kind string) string {
	return subjectEphemeral + kind + "." + c.token
}
