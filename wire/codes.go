// Package wire is liveroom's public contract on top of the Centrifugo client
// protocol v2: error codes, disconnect codes, RPC method names and payload
// shapes. It imports only the standard library and the protocol module, so
// clients and backends can depend on it without pulling in the server.
//
// Code ranges follow the protocol (client.proto in
// github.com/centrifugal/protocol):
//
//   - reply error codes 0–399 are the protocol's, 400–1999 are ours;
//   - disconnect codes 3000–3499 ask the client to reconnect, 3500–3999 are
//     terminal, 4000–4499 are application codes that reconnect, 4500–4999
//     application codes that are terminal;
//   - unsubscribe codes 2000–2499 do not resubscribe, 2500–2999 resubscribe.
package wire

import (
	"fmt"
	"time"
)

// Error is a reply error as the client sees it: a code from the tables below,
// a short specific message, and whether the same command may succeed later.
type Error struct {
	// Code is a protocol error code (100–399) or one of ours (400–1999).
	Code uint32 `json:"code"`
	// Message says what happened and what to do, e.g. "slow mode: wait 4 s".
	Message string `json:"message"`
	// Temporary is true when retrying the same command later may succeed.
	Temporary bool `json:"temporary,omitempty"`
	// RetryAfter, on a temporary error, is how long to wait before the same
	// command can succeed, when the server knows (0: it does not). It is
	// not sent in the protocol's error (the message says the wait); the
	// server API sends it as the Retry-After header, in whole seconds
	// rounded up.
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string {
	if e.Temporary {
		return fmt.Sprintf("%d: %s (temporary)", e.Code, e.Message)
	}
	return fmt.Sprintf("%d: %s", e.Code, e.Message)
}

// Protocol reply error codes (client.proto, message Error).
const (
	CodeInternal          uint32 = 100 // internal server error; temporary
	CodeUnauthorized      uint32 = 101 // missing or invalid credentials
	CodeUnknownChannel    uint32 = 102 // no namespace matches the channel
	CodePermissionDenied  uint32 = 103 // the rules of the namespace refuse it
	CodeMethodNotFound    uint32 = 104 // unknown RPC method
	CodeAlreadySubscribed uint32 = 105 // the connection already holds the subscription
	CodeLimitExceeded     uint32 = 106 // a configured limit was reached
	CodeBadRequest        uint32 = 107 // malformed command or invalid channel name
	CodeNotAvailable      uint32 = 108 // feature off for this channel or server
	CodeTokenExpired      uint32 = 109 // token expired; get a new one
	CodeExpired           uint32 = 110 // connection expired
	CodeTooManyRequests   uint32 = 111 // rate limited; temporary, retry after the hint
	CodeUnrecoverable     uint32 = 112 // position cannot be recovered
)

// Errorf builds an Error with a formatted message.
func Errorf(code uint32, temporary bool, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Temporary: temporary}
}

// Disconnect is a close code and reason sent to a client (in the WebSocket
// close frame, or as a disconnect push on transports without one). Reasons
// stay under 123 bytes so they fit a WebSocket close frame (RFC 6455 §5.5).
type Disconnect struct {
	Code   uint32 `json:"code"`
	Reason string `json:"reason"`
}

// Reconnect reports whether the protocol tells clients to reconnect after this
// code (3000–3499, 4000–4499 and 5000+).
func (d Disconnect) Reconnect() bool {
	switch {
	case d.Code >= 3500 && d.Code < 4000:
		return false
	case d.Code >= 4500 && d.Code < 5000:
		return false
	}
	return true
}

// Disconnect codes of the protocol that liveroom sends. Codes 3000–3499 tell
// the client to reconnect, 3500–3999 tell it not to.
var (
	DisconnectConnectionClosed   = Disconnect{3000, "connection closed"}
	DisconnectShutdown           = Disconnect{3001, "server shutting down, reconnect"}
	DisconnectServerError        = Disconnect{3004, "internal server error, reconnect"}
	DisconnectExpired            = Disconnect{3005, "connection token expired, refresh it and reconnect"}
	DisconnectSubExpired         = Disconnect{3006, "subscription token expired"}
	DisconnectSlow               = Disconnect{3008, "slow consumer: outbound queue overflow, reconnect and recover"}
	DisconnectWriteError         = Disconnect{3009, "write error"}
	DisconnectInsufficientState  = Disconnect{3010, "insufficient state: gap in a channel stream, reconnect and recover"}
	DisconnectForceReconnect     = Disconnect{3011, "reconnect requested by the server"}
	DisconnectNoPong             = Disconnect{3012, "no pong to the server ping in time"}
	DisconnectTooManyRequests    = Disconnect{3013, "too many requests"}
	DisconnectInvalidToken       = Disconnect{3500, "invalid token"}
	DisconnectBadRequest         = Disconnect{3501, "bad request"}
	DisconnectStale              = Disconnect{3502, "no connect command in time"}
	DisconnectForceNoReconnect   = Disconnect{3503, "disconnected by the server"}
	DisconnectConnectionLimit    = Disconnect{3504, "connection limit reached"}
	DisconnectChannelLimit       = Disconnect{3505, "channel limit reached"}
	DisconnectInappropriateProto = Disconnect{3506, "inappropriate protocol"}
	DisconnectPermissionDenied   = Disconnect{3507, "permission denied"}
	DisconnectNotAvailable       = Disconnect{3508, "not available"}
	DisconnectTooManyErrors      = Disconnect{3509, "too many errors"}
)

// Unsubscribe codes pushed to a client when the server ends a subscription.
// Codes 2500+ tell the client SDK to resubscribe (and recover).
const (
	UnsubscribeServer            uint32 = 2000 // ended by the server or the API; do not resubscribe
	UnsubscribeInsufficientState uint32 = 2500 // stream gap; resubscribe and recover
	UnsubscribeExpired           uint32 = 2501 // subscription token expired; resubscribe with a new one
)
