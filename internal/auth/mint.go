package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/liveroom-dev/liveroom/wire"
)

// MintClaims describes a token to mint.
type MintClaims struct {
	// User becomes "sub"; empty for an anonymous user.
	User string
	// Name, when set, becomes the info claim {"name": Name}.
	Name string
	// Info, when set, becomes the info claim as is (any JSON value). Give
	// Name or Info, not both.
	Info json.RawMessage
	// TTL is the token's lifetime: exp = IssuedAt + TTL. Must be positive.
	TTL time.Duration
	// IssuedAt becomes "iat" (whole seconds); zero means time.Now().
	IssuedAt time.Time
	// Channels becomes "channels" (connection tokens).
	Channels []string
	// Channel becomes "channel" and makes this a subscription token.
	Channel string
	// Roles becomes "roles" (connection tokens).
	Roles wire.Roles
	// Audience and Issuer become "aud" and "iss" when set.
	Audience string
	Issuer   string
	// Session becomes "sid" when set: the sign-in session the token
	// belongs to.
	Session string
	// ExpiresAt, when set, caps exp (a token never outlives its session).
	ExpiresAt time.Time
}

// mintPayload is the JSON payload of a minted token.
type mintPayload struct {
	jwt.RegisteredClaims
	Info     json.RawMessage `json:"info,omitempty"`
	Channels []string        `json:"channels,omitempty"`
	Channel  string          `json:"channel,omitempty"`
	Session  string          `json:"sid,omitempty"`
	Roles    wire.Roles      `json:"roles,omitempty"`
}

// Mint signs a token with key: HS256 with its secret, RS256 and EdDSA with
// its private key (a verify-only key cannot mint). The header carries the
// key's algorithm, typ "JWT" and, when the key has an ID, its kid.
func Mint(key Key, claims MintClaims) (string, error) {
	if err := key.check(); err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	signing, err := key.signingKey()
	if err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	if claims.TTL <= 0 {
		return "", fmt.Errorf("mint: ttl must be positive, got %v", claims.TTL)
	}
	info := claims.Info
	switch {
	case claims.Name != "" && len(info) != 0:
		return "", errors.New("mint: give name or info, not both")
	case claims.Name != "":
		if info, err = json.Marshal(map[string]string{"name": claims.Name}); err != nil {
			return "", fmt.Errorf("mint: %w", err)
		}
	case len(info) != 0 && !json.Valid(info):
		return "", errors.New("mint: info is not valid JSON")
	}
	for i, ch := range claims.Channels {
		if ch == "" {
			return "", fmt.Errorf("mint: channel %d is empty", i)
		}
	}
	iat := claims.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	iat = iat.Truncate(time.Second)
	exp := iat.Add(claims.TTL)
	if c := claims.ExpiresAt; !c.IsZero() && c.Before(exp) {
		if !c.After(iat) {
			return "", fmt.Errorf("mint: expires at %v, not after iat %v", c, iat)
		}
		exp = c
	}
	payload := mintPayload{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   claims.User,
			Issuer:    claims.Issuer,
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Info:     info,
		Channels: claims.Channels,
		Channel:  claims.Channel,
		Session:  claims.Session,
		Roles:    claims.Roles,
	}
	if claims.Audience != "" {
		payload.Audience = jwt.ClaimStrings{claims.Audience}
	}
	method := jwt.GetSigningMethod(key.Algorithm)
	if method == nil {
		return "", fmt.Errorf("mint: algorithm %s is not available", key.Algorithm)
	}
	tok := jwt.NewWithClaims(method, payload)
	if key.ID != "" {
		tok.Header["kid"] = key.ID
	}
	s, err := tok.SignedString(signing)
	if err != nil {
		return "", fmt.Errorf("mint: sign with %v: %w", key, err)
	}
	return s, nil
}
