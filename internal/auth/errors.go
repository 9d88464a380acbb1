package auth

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The two kinds of token failure. Every error returned by VerifyConnect and
// VerifySubscribe matches exactly one of them with errors.Is.
var (
	// ErrTokenExpired: the token is genuine and would be accepted but for its
	// age. The client should fetch a fresh token (protocol error 109; for a
	// connection, disconnect 3005 once it is established).
	//
	// It is only returned when every other check passed: a forged, misaddressed
	// or otherwise wrong token that is also expired is ErrInvalidToken, so that
	// a client never loops refreshing a token that can never work.
	ErrTokenExpired = errors.New("token expired")

	// ErrInvalidToken: bad format, size, algorithm, key id, signature or
	// claims. Refreshing will not help (connect: disconnect 3500; subscribe:
	// error 103).
	ErrInvalidToken = errors.New("invalid token")
)

// TokenError is the concrete type of verification errors. Error returns a
// short, specific message that is safe to show to the client and to log: it
// names what is wrong ("token expired 12 s ago", "token signed with RS256 but
// this server expects HS256") and never contains key material.
type TokenError struct {
	// Kind is ErrTokenExpired or ErrInvalidToken.
	Kind error
	// Reason is the message returned by Error.
	Reason string
	// Cause is the underlying error, if any (for logs); may be nil.
	Cause error
}

func (e *TokenError) Error() string { return e.Reason }

// Unwrap lets errors.Is match Kind and, when present, Cause.
func (e *TokenError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

func invalid(format string, args ...any) *TokenError {
	return &TokenError{Kind: ErrInvalidToken, Reason: fmt.Sprintf(format, args...)}
}

func invalidCause(cause error, format string, args ...any) *TokenError {
	return &TokenError{Kind: ErrInvalidToken, Reason: fmt.Sprintf(format, args...), Cause: cause}
}

// maxEcho bounds how much of an attacker-supplied value (an alg, a kid, a
// claim) is repeated in an error message.
const maxEcho = 64

// echo quotes a token-supplied value for an error message: escaped, and cut
// to maxEcho bytes so a hostile token cannot make log lines large.
func echo(s string) string {
	if len(s) > maxEcho {
		return strconv.Quote(s[:maxEcho]) + "…"
	}
	return strconv.Quote(s)
}

// humanDuration renders a positive duration the way messages in liveroom do:
// "12 s", "5 min", "3 h", "4 days". It rounds up to whole units so that a
// token that expired 0.2 s ago says "1 s", never "0 s".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", ceilDiv(d, time.Second))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", ceilDiv(d, time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", ceilDiv(d, time.Hour))
	default:
		return fmt.Sprintf("%d days", ceilDiv(d, 24*time.Hour))
	}
}

func ceilDiv(d, unit time.Duration) int64 {
	n := int64(d / unit)
	if d%unit != 0 {
		n++
	}
	return n
}
