package auth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultClockSkew is how far in the future a token's iat and nbf may lie
// unless configured otherwise: enough for two NTP-synchronised machines that
// round differently, too little to hide a token minted in milliseconds.
const DefaultClockSkew = 5 * time.Second

// VerifierConfig configures a Verifier. Only Keys is required.
type VerifierConfig struct {
	// Keys verify the tokens.
	Keys *KeySet
	// Audience, when set, must be one of the token's "aud" values; a token
	// without aud is then refused. When empty, aud is not checked.
	Audience string
	// Issuer, when set, must equal the token's "iss". When empty, iss is not
	// checked.
	Issuer string
	// Leeway is how long after its exp a token is still accepted. Default 0:
	// exp is set by the issuer from a clock it shares (via NTP) with this
	// server, clients refresh on error 109 anyway, and any leeway lengthens
	// the life of a leaked token. Must not be negative.
	Leeway time.Duration
	// ClockSkew is how far in the future iat and nbf may be. Zero means
	// DefaultClockSkew; negative means none. Tolerance at the start of a
	// token's life does not lengthen it.
	ClockSkew time.Duration
	// MaxTokenLength bounds a token in bytes; longer tokens are refused before
	// any decoding. Zero means DefaultMaxTokenLength.
	MaxTokenLength int
	// AllowNoExpiry accepts tokens without exp (they never expire). Off by
	// default: a token without exp is refused.
	AllowNoExpiry bool
}

// Verifier checks connection and subscription tokens. It is immutable and
// safe for concurrent use.
type Verifier struct {
	cfg    VerifierConfig
	parser *jwt.Parser
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Keys == nil {
		return nil, errors.New("verifier: no key set")
	}
	if cfg.Leeway < 0 {
		return nil, fmt.Errorf("verifier: negative leeway %v", cfg.Leeway)
	}
	switch {
	case cfg.ClockSkew == 0:
		cfg.ClockSkew = DefaultClockSkew
	case cfg.ClockSkew < 0:
		cfg.ClockSkew = 0
	}
	switch {
	case cfg.MaxTokenLength == 0:
		cfg.MaxTokenLength = DefaultMaxTokenLength
	case cfg.MaxTokenLength < 64:
		return nil, fmt.Errorf("verifier: max token length %d is too small to hold a token", cfg.MaxTokenLength)
	}
	return &Verifier{
		cfg: cfg,
		parser: jwt.NewParser(
			// The header's alg must be one of the configured keys'
			// algorithms; keyFunc then pins it to the chosen key.
			jwt.WithValidMethods(cfg.Keys.Algorithms()),
			// One encoding per signature: no trailing bits, no padding.
			jwt.WithStrictDecoding(),
			// Claims are checked by checkClaims, after the signature, with
			// the caller's clock and specific messages.
			jwt.WithoutClaimsValidation(),
		),
	}, nil
}

// MaxTokenLength is the configured bound on a token's length in bytes.
func (v *Verifier) MaxTokenLength() int { return v.cfg.MaxTokenLength }

// VerifyConnect verifies a connection token at now. A connection token must
// not carry a "channel" claim (that makes it a subscription token).
func (v *Verifier) VerifyConnect(token string, now time.Time) (*ConnectClaims, error) {
	c, err := v.verify(token)
	if err != nil {
		return nil, err
	}
	if c.hasChannel {
		return nil, invalid("this is a subscription token (it has a channel claim); connect with a connection token")
	}
	if err := v.checkTimes(c, now); err != nil {
		return nil, err
	}
	return &ConnectClaims{Claims: c.Claims, Channels: c.channels}, nil
}

// VerifySubscribe verifies a subscription token for channel, presented on a
// connection authenticated as clientUser (empty for anonymous), at now. The
// token's "channel" must equal channel and its "sub" must equal clientUser,
// byte for byte; channel is expected to be validated by the caller already.
func (v *Verifier) VerifySubscribe(token, channel, clientUser string, now time.Time) (*SubscribeClaims, error) {
	c, err := v.verify(token)
	if err != nil {
		return nil, err
	}
	switch {
	case !c.hasChannel || c.channel == "":
		return nil, invalid("subscription token has no channel claim")
	case c.channel != channel:
		return nil, invalid("subscription token is for channel %s, not %s", echo(c.channel), echo(channel))
	case c.User != clientUser:
		return nil, invalid("subscription token is for user %s, not this connection's user %s", echo(c.User), echo(clientUser))
	}
	if err := v.checkTimes(c, now); err != nil {
		return nil, err
	}
	return &SubscribeClaims{Claims: c.Claims, Channel: c.channel}, nil
}

// verify checks shape, algorithm, key and signature, then decodes the
// payload and checks aud and iss. Times are left to checkTimes so that
// ErrTokenExpired is reported only for a token correct in every other way.
func (v *Verifier) verify(token string) (*rawClaims, error) {
	if err := checkShape(token, v.cfg.MaxTokenLength); err != nil {
		return nil, err
	}
	var payload deferredClaims
	parsed, err := v.parser.ParseWithClaims(token, &payload, v.keyFunc)
	if err != nil {
		return nil, v.explain(parsed, err)
	}
	c, err := decodeClaims(payload.data)
	if err != nil {
		return nil, invalidCause(err, "token claims are invalid: %v", err)
	}
	if want := v.cfg.Audience; want != "" {
		switch {
		case len(c.Audience) == 0:
			return nil, invalid("token has no aud claim; this server expects %s", echo(want))
		case !slices.Contains(c.Audience, want):
			return nil, invalid("token audience %s does not include %s", echo(fmt.Sprint(c.Audience)), echo(want))
		}
	}
	if want := v.cfg.Issuer; want != "" && c.Issuer != want {
		if c.Issuer == "" {
			return nil, invalid("token has no iss claim; this server expects %s", echo(want))
		}
		return nil, invalid("token issuer %s is not %s", echo(c.Issuer), echo(want))
	}
	return c, nil
}

// keyFunc picks the verification key for a parsed, not yet verified token.
// The parser has already refused an alg that no configured key uses.
func (v *Verifier) keyFunc(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, invalid("token header lists critical extensions (crit); none are supported")
	}
	alg := t.Method.Alg()
	if raw, ok := t.Header["kid"]; ok {
		kid, isString := raw.(string)
		if !isString {
			return nil, invalid("token kid must be a string")
		}
		k, found := v.cfg.Keys.byID(kid)
		if !found {
			return nil, invalid("token key id %s is not configured", echo(kid))
		}
		if k.Algorithm != alg {
			return nil, invalid("token signed with %s but key %s expects %s", alg, echo(kid), k.Algorithm)
		}
		return k.verificationKey(), nil
	}
	vk, ok := v.cfg.Keys.byAlg[alg]
	if !ok { // unreachable while WithValidMethods holds
		return nil, invalid("token signed with %s but this server expects %s", alg, v.cfg.Keys.expects())
	}
	return vk, nil
}

// explain turns a parser error into a TokenError with a specific message.
func (v *Verifier) explain(parsed *jwt.Token, err error) *TokenError {
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	if parsed != nil && parsed.Header != nil {
		raw, ok := parsed.Header["alg"]
		alg, isString := raw.(string)
		switch {
		case !ok:
			return invalidCause(err, "token header has no alg")
		case !isString:
			return invalidCause(err, "token alg must be a string")
		case !slices.Contains(v.cfg.Keys.algs, alg):
			return invalidCause(err, "token signed with %s but this server expects %s", printableAlg(alg), v.cfg.Keys.expects())
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalidCause(err, "token signature is invalid")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalidCause(err, "%v", err)
	default:
		return invalidCause(err, "token cannot be verified: %v", err)
	}
}

// checkTimes checks iat, nbf and, last, exp.
func (v *Verifier) checkTimes(c *rawClaims, now time.Time) *TokenError {
	skew := v.cfg.ClockSkew
	if !c.IssuedAt.IsZero() && c.IssuedAt.Sub(now) > skew {
		return invalid("token issued %s in the future (iat); check the token issuer's clock", humanDuration(c.IssuedAt.Sub(now)))
	}
	if !c.NotBefore.IsZero() && c.NotBefore.Sub(now) > skew {
		return invalid("token is not valid for another %s (nbf)", humanDuration(c.NotBefore.Sub(now)))
	}
	if !c.hasExp {
		if v.cfg.AllowNoExpiry {
			return nil
		}
		return invalid("token has no exp claim; this server requires one")
	}
	if !now.Before(c.ExpiresAt.Add(v.cfg.Leeway)) {
		return &TokenError{Kind: ErrTokenExpired, Reason: "token expired " + humanDuration(now.Sub(c.ExpiresAt)) + " ago"}
	}
	return nil
}

// printableAlg shows a known-looking alg as is and anything else quoted.
func printableAlg(alg string) string {
	if alg == "" || len(alg) > 16 {
		return echo(alg)
	}
	for i := 0; i < len(alg); i++ {
		c := alg[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return echo(alg)
		}
	}
	return alg
}

// deferredClaims keeps the payload bytes for decodeClaims, which runs only
// after the signature checked out; the parser itself decodes nothing into
// typed fields. Its jwt.Claims methods are never called (claims validation
// is off in the parser).
type deferredClaims struct{ data []byte }

func (d *deferredClaims) UnmarshalJSON(b []byte) error {
	d.data = append(d.data[:0], b...)
	return nil
}

func (*deferredClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (*deferredClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (*deferredClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (*deferredClaims) GetIssuer() (string, error)                   { return "", nil }
func (*deferredClaims) GetSubject() (string, error)                  { return "", nil }
func (*deferredClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }
