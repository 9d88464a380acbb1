package account

import (
	"fmt"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Error is a refusal the caller can show as it is: a wire code (protocol
// codes, or the account codes 1100–1199 in package wire), a specific
// message saying what to do next, whether to retry, and, for rate limits
// and a busy node, when.
type Error struct {
	Wire wire.Error
	// RetryAfter is set with CodeTooManyRequests and CodeSignInBusy.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Wire.Error() }

func refuse(code uint32, format string, args ...any) *Error {
	return &Error{Wire: wire.Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// Refusals used in several places. Messages never say whether an email is
// registered (sign-up excepted: it may say the email is taken).
var (
	errBadCredentials = func() *Error {
		return refuse(wire.CodeBadCredentials, "email or password is wrong")
	}
	errNotSignedIn = func(why string) *Error {
		return refuse(wire.CodeNotSignedIn, "not signed in: %s — sign in", why)
	}
)

// ended turns the disconnect that ended a session into the refusal of a
// later refresh: "session expired — sign in again" for expiry, the
// session's end reason otherwise.
func ended(d wire.Disconnect) *Error {
	if d.Code == wire.DisconnectSessionExpired.Code {
		return refuse(wire.CodeSessionExpired, "%s", d.Reason)
	}
	if d.Code == wire.DisconnectUserBlocked.Code {
		return refuse(wire.CodeUserBlocked, "%s", d.Reason)
	}
	return refuse(wire.CodeSessionRevoked, "%s", d.Reason)
}
