package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// minSecretLen is the shortest HS256 secret accepted, as in liveroom.
const minSecretLen = 32

// tokenClaims are the claims of a liveroom connection token that the peer
// reads: sub, exp, info and channels.
type tokenClaims struct {
	jwt.RegisteredClaims
	Info     json.RawMessage `json:"info,omitempty"`
	Channels []string        `json:"channels,omitempty"`
}

// verifier checks HS256 connection tokens; it is safe for concurrent use.
type verifier struct {
	secret []byte
	parser *jwt.Parser
}

func newVerifier(secret string) (*verifier, error) {
	if len(secret) < minSecretLen {
		return nil, fmt.Errorf("token secret is %d bytes; at least %d are required", len(secret), minSecretLen)
	}
	return &verifier{
		secret: []byte(secret),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired()),
	}, nil
}

// errExpired is returned for a well-signed token past its exp.
var errExpired = errors.New("token expired")

// verify returns the claims of a valid token; errExpired when it is only
// expired.
func (v *verifier) verify(token string) (*tokenClaims, error) {
	var c tokenClaims
	_, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errExpired
	case err != nil:
		return nil, fmt.Errorf("verify token: %w", err)
	}
	if len(c.Info) > 0 && string(c.Info) == "null" {
		c.Info = nil
	}
	return &c, nil
}

// expireAt is exp as Unix seconds (exp is required, so never zero).
func (c *tokenClaims) expireAt() int64 {
	if c.ExpiresAt == nil {
		return 0
	}
	return c.ExpiresAt.Unix()
}

// allowed is the explicit channel list as a set; nil when the token has none.
func (c *tokenClaims) allowed() map[string]bool {
	if len(c.Channels) == 0 {
		return nil
	}
	m := make(map[string]bool, len(c.Channels))
	for _, ch := range c.Channels {
		m[ch] = true
	}
	return m
}
