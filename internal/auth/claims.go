package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liveroom-dev/liveroom/wire"
)

// Claims are what both kinds of token carry.
type Claims struct {
	// User is the "sub" claim: the user id; empty for an anonymous user.
	User string
	// ExpiresAt is "exp"; zero when the token has none (only accepted with
	// VerifierConfig.AllowNoExpiry).
	ExpiresAt time.Time
	// NotBefore is "nbf"; zero when absent.
	NotBefore time.Time
	// IssuedAt is "iat"; zero when absent.
	IssuedAt time.Time
	// Audience is "aud" (a string or an array in the token); nil when absent.
	Audience []string
	// Issuer is "iss".
	Issuer string
	// ID is "jti".
	ID string
	// Session is "sid": the sign-in session that issued the token
	// (liveroom accounts, or any backend that wants to end one session's
	// connections); empty when absent.
	Session string
	// Info is the "info" claim exactly as it appeared in the token: any JSON
	// value, shown to other clients in presence and join/leave. Nil when
	// absent or null.
	Info json.RawMessage
	// Roles is the "roles" claim (connection tokens): scope → role names,
	// e.g. {"chat:lobby": ["owner"], "chat:*": ["moderator"]}; see
	// wire.Roles. Nil when absent.
	Roles wire.Roles
}

// TTL gives the protocol's expires/ttl fields for this token at now; see
// RemainingTTL.
func (c Claims) TTL(now time.Time) (expires bool, ttl uint32) {
	return RemainingTTL(c.ExpiresAt, now)
}

// RemainingTTL gives the protocol's expires/ttl fields (connect and
// subscribe results) for a credential expiring at expiresAt: expires is
// false when expiresAt is zero (never); otherwise ttl is the whole seconds
// left, rounded up and at least 1 (a token accepted within the configured
// leeway still gets a moment to refresh), capped at 2^32−1.
func RemainingTTL(expiresAt, now time.Time) (expires bool, ttl uint32) {
	if expiresAt.IsZero() {
		return false, 0
	}
	secs := ceilDiv(expiresAt.Sub(now), time.Second)
	switch {
	case secs < 1:
		secs = 1
	case secs > math.MaxUint32:
		secs = math.MaxUint32
	}
	return true, uint32(secs)
}

// ConnectClaims are the claims of a verified connection token.
type ConnectClaims struct {
	Claims
	// Channels is the "channels" claim: the channels this connection is
	// subscribed to by the server at connect, and the explicit list of
	// channels the token allows.
	Channels []string
}

// SubscribeClaims are the claims of a verified subscription token.
type SubscribeClaims struct {
	Claims
	// Channel is the "channel" claim; it equals the channel subscribed to.
	Channel string
}

// rawClaims is the decoded payload of a token whose signature checked out.
type rawClaims struct {
	Claims
	channels   []string
	channel    string
	hasChannel bool
	hasExp     bool
}

// claim bits, to refuse a claim given twice.
const (
	seenSub = 1 << iota
	seenExp
	seenNbf
	seenIat
	seenAud
	seenIss
	seenJti
	seenInfo
	seenChannels
	seenChannel
	seenSid
	seenRoles
)

// maxNumericDate is 9999-12-31T23:59:59Z. Larger values are refused: they
// are almost always milliseconds written where RFC 7519 wants seconds.
const maxNumericDate = 253402300799

// decodeClaims reads a verified payload. Claim names match exactly (unlike
// encoding/json's case-insensitive struct matching), a known claim given
// twice is refused rather than "last one wins" (which would let a claim
// injected into a string-built payload override the real one), and claims
// this server does not use are ignored (RFC 7519 §4).
func decodeClaims(data []byte) (*rawClaims, error) {
	if len(data) == 0 {
		return nil, errNotObject
	}
	if !json.Valid(data) {
		return nil, errors.New("token payload is not valid JSON")
	}
	if !utf8.Valid(data) {
		// RFC 7519 §7.2 step 8 and RFC 8259 §8.1: the claims are UTF-8.
		// Bytes that are not would be copied into presence and join pushes
		// that no JSON client could be sent.
		return nil, errors.New("token payload is not valid UTF-8")
	}
	c := &rawClaims{}
	var seen uint
	err := forEachMember(data, func(name string, raw []byte) error {
		var bit uint
		var err error
		switch name {
		case "sub":
			bit, err = seenSub, decodeString(raw, name, &c.User)
			if err == nil && c.User != "" {
				// A user id names records and subjects; one that cannot
				// (over 255 bytes, a control or format character) is
				// refused here, for good, not at a later lookup that a
				// client would retry forever.
				err = checkSub(c.User)
			}
		case "iss":
			bit, err = seenIss, decodeString(raw, name, &c.Issuer)
		case "jti":
			bit, err = seenJti, decodeString(raw, name, &c.ID)
		case "sid":
			bit, err = seenSid, decodeString(raw, name, &c.Session)
		case "channel":
			bit, err = seenChannel, decodeString(raw, name, &c.channel)
			c.hasChannel = true
		case "exp":
			bit, err = seenExp, decodeDate(raw, name, &c.ExpiresAt)
			c.hasExp = !c.ExpiresAt.IsZero()
		case "nbf":
			bit, err = seenNbf, decodeDate(raw, name, &c.NotBefore)
		case "iat":
			bit, err = seenIat, decodeDate(raw, name, &c.IssuedAt)
		case "aud":
			bit, err = seenAud, decodeAudience(raw, &c.Audience)
		case "info":
			bit = seenInfo
			if string(raw) != "null" {
				c.Info = append(json.RawMessage(nil), raw...)
			}
		case "channels":
			bit, err = seenChannels, decodeChannels(raw, &c.channels)
		case "roles":
			bit, err = seenRoles, decodeRoles(raw, &c.Roles)
		}
		if err != nil {
			return err
		}
		if seen&bit != 0 {
			return fmt.Errorf("claim %q appears twice", name)
		}
		seen |= bit
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func decodeString(raw []byte, name string, dst *string) error {
	switch {
	case string(raw) == "null":
		return nil
	case raw[0] != '"':
		return fmt.Errorf("claim %q must be a string", name)
	case bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw):
		*dst = string(raw[1 : len(raw)-1])
		return nil
	}
	return json.Unmarshal(raw, dst)
}

// decodeDate reads a NumericDate (RFC 7519 §2): a JSON number of seconds
// since the epoch, possibly with a fraction. Strings are refused.
func decodeDate(raw []byte, name string, dst *time.Time) error {
	if string(raw) == "null" {
		return nil
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return fmt.Errorf("claim %q must be a number of seconds since 1970", name)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return fmt.Errorf("claim %q is out of range (it must be seconds since 1970, not milliseconds)", name)
	}
	sec := math.Floor(f)
	*dst = time.Unix(int64(sec), int64((f-sec)*1e9)).UTC()
	return nil
}

func decodeAudience(raw []byte, dst *[]string) error {
	switch raw[0] {
	case 'n':
		return nil
	case '"':
		var s string
		if err := decodeString(raw, "aud", &s); err != nil {
			return err
		}
		*dst = []string{s}
		return nil
	case '[':
		if err := json.Unmarshal(raw, dst); err == nil {
			return nil
		}
	}
	return errors.New("claim \"aud\" must be a string or an array of strings")
}

func decodeChannels(raw []byte, dst *[]string) error {
	if string(raw) == "null" {
		return nil
	}
	if raw[0] != '[' {
		return errors.New("claim \"channels\" must be an array of strings")
	}
	var list []*string
	if err := json.Unmarshal(raw, &list); err != nil {
		return errors.New("claim \"channels\" must be an array of strings")
	}
	out := make([]string, len(list))
	for i, s := range list {
		if s == nil || *s == "" {
			return fmt.Errorf("claim \"channels\": entry %d is empty", i)
		}
		out[i] = *s
	}
	*dst = out
	return nil
}

// decodeRoles reads the "roles" claim: an object whose keys are scopes
// (a channel, "ns:*" or "*") and whose values are arrays of role names,
// within the limits of wire.Roles. Empty names are refused.
func decodeRoles(raw []byte, dst *wire.Roles) error {
	if string(raw) == "null" {
		return nil
	}
	const shape = "claim \"roles\" must be an object of scope → array of role names"
	if raw[0] != '{' {
		return errors.New(shape)
	}
	var m map[string][]*string
	if err := json.Unmarshal(raw, &m); err != nil {
		return errors.New(shape)
	}
	if len(m) > wire.MaxRoleScopes {
		return fmt.Errorf("claim \"roles\" has %d scopes; the limit is %d", len(m), wire.MaxRoleScopes)
	}
	out := make(wire.Roles, len(m))
	for scope, list := range m {
		if scope == "" || len(scope) > wire.MaxRoleBytes {
			return fmt.Errorf("claim \"roles\": scope %q must be 1–%d bytes", scope, wire.MaxRoleBytes)
		}
		if len(list) > wire.MaxRolesPerScope {
			return fmt.Errorf("claim \"roles\": scope %q has %d roles; the limit is %d", scope, len(list), wire.MaxRolesPerScope)
		}
		roles := make([]string, 0, len(list))
		for _, r := range list {
			if r == nil || *r == "" || len(*r) > wire.MaxRoleBytes {
				return fmt.Errorf("claim \"roles\": scope %q has an empty or over-long role name", scope)
			}
			roles = append(roles, *r)
		}
		out[scope] = roles
	}
	*dst = out
	return nil
}

// checkSub says what makes sub unusable as a user id (wire.ValidateUserID),
// in few words: a close reason holds 123 bytes, and the cause must fit.
func checkSub(sub string) error {
	if wire.ValidateUserID(sub) == nil {
		return nil
	}
	if len(sub) > wire.MaxUserIDBytes {
		return fmt.Errorf("claim \"sub\" is %d bytes; at most %d", len(sub), wire.MaxUserIDBytes)
	}
	for i, r := range sub {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("claim \"sub\" has U+%04X at byte %d: no control or format characters", r, i)
		}
	}
	return fmt.Errorf("claim \"sub\" is not valid UTF-8")
}
