package hub

import (
	"errors"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Authenticator checks connection and subscription tokens. The server
// adapts the auth package to it.
type Authenticator interface {
	// Connect verifies a connection token. Errors wrap ErrTokenExpired or
	// ErrTokenInvalid and say what is wrong.
	Connect(token string, now time.Time) (Credentials, error)
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
