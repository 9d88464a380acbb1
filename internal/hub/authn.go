package hub

import (
	"context"
	"errors"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Authenticator checks connection and subscription tokens. The server
// adapts the auth package to it.
type Authenticator interface {
	// Connect verifies a connection token (at connect and at refresh). It
	// may look up state (a session, whether the user is blocked), so it
	// takes the command's context. Errors wrap ErrTokenExpired or
	// ErrTokenInvalid and say what is wrong; or they are a
	// *DisconnectError, which ends the connection with that code (a
	// revoked session, a blocked user).
	Connect(ctx context.Context, token string, now time.Time) (Credentials, error)
	// Subscribe verifies a subscription token for channel and user.
	Subscribe(token, channel, user string, now time.Time) (SubscriptionGrant, error)
}

// Credentials are what a valid connection token grants.
type Credentials struct {
	// User is the user id; "" is anonymous.
	User string
	// Info is JSON shown to others in presence and publications.
	Info []byte
	// Channels, when not empty, is the connection's explicit channel
	// list: it is subscribed to them at connect, and it may subscribe to
	// nothing else.
	Channels []string
	// ExpiresAt is when the token expires (zero: never).
	ExpiresAt time.Time
	// IssuedAt is the token's iat (zero when absent). DisconnectWhere can
	// close the connections whose token was issued before a moment.
	IssuedAt time.Time
	// Session is the sign-in session the token belongs to (its "sid"
	// claim; "" for tokens without one). DisconnectWhere can close exactly
	// one session's connections.
	Session string
	// Roles are the token's roles by scope (features read them).
	Roles wire.Roles
}

// SubscriptionGrant is what a valid subscription token grants.
type SubscriptionGrant struct {
	Info      []byte    // JSON attached to the subscription (chan_info)
	ExpiresAt time.Time // zero: never
}

// Token errors.
var (
	ErrTokenExpired = errors.New("token expired")
	ErrTokenInvalid = errors.New("invalid token")
)
