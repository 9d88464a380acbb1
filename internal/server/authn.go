package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// authenticator adapts the auth package's Verifier to the hub. With a
// guard it also refuses tokens of ended sessions and of blocked or
// revoked users (see tokenGuard).
type authenticator struct {
	v     *auth.Verifier
	guard tokenGuard // nil: signatures and claims only
	// afterAdmit, when set (tests only), runs after the guard admitted a
	// token: it lets a test act between the check and the binding.
	afterAdmit atomic.Pointer[func(user, session string)]
}

// tokenGuard checks, after the signature, whether a genuine token may
// still be used: its session (sid) not ended, its user not blocked, not
// issued before a revocation. It returns nil or the disconnect to close
// the connection with.
type tokenGuard interface {
	Admit(ctx context.Context, user, session string, issuedAt time.Time) (*wire.Disconnect, error)
}

var _ hub.Authenticator = (*authenticator)(nil)

func tokenErr(err error) error {
	switch {
	case errors.Is(err, auth.ErrTokenExpired):
		return fmt.Errorf("%w: %w", hub.ErrTokenExpired, err)
	case errors.Is(err, auth.ErrInvalidToken):
		return fmt.Errorf("%w: %w", hub.ErrTokenInvalid, err)
	}
	return fmt.Errorf("%w: %w", hub.ErrTokenInvalid, err)
}

func (a *authenticator) Connect(ctx context.Context, token string, now time.Time) (hub.Credentials, error) {
	c, err := a.v.VerifyConnect(token, now)
	if err != nil {
		return hub.Credentials{}, tokenErr(err)
	}
	if a.guard != nil {
		d, err := a.guard.Admit(ctx, c.User, c.Session, c.IssuedAt)
		if err != nil {
			// Fail closed, but let the client retry: the store did not
			// answer, nothing is known to be wrong with the token.
			return hub.Credentials{}, &hub.DisconnectError{Disconnect: wire.Disconnect{
				Code: wire.DisconnectServerError.Code, Reason: "could not check the session; reconnect"}}
		}
		if d != nil {
			return hub.Credentials{}, &hub.DisconnectError{Disconnect: *d}
		}
	}
	if fn := a.afterAdmit.Load(); fn != nil {
		(*fn)(c.User, c.Session)
	}
	return hub.Credentials{User: c.User, Info: c.Info, Channels: c.Channels, ExpiresAt: c.ExpiresAt,
		IssuedAt: c.IssuedAt, Session: c.Session, Roles: c.Roles}, nil
}

// Readmit implements hub.Readmitter with the same guard as Connect.
func (a *authenticator) Readmit(ctx context.Context, user, session string, issuedAt time.Time) (*wire.Disconnect, error) {
	if a.guard == nil {
		return nil, nil
	}
	return a.guard.Admit(ctx, user, session, issuedAt)
}

func (a *authenticator) Subscribe(token, channel, user string, now time.Time) (hub.SubscriptionGrant, error) {
	c, err := a.v.VerifySubscribe(token, channel, user, now)
	if err != nil {
		return hub.SubscriptionGrant{}, tokenErr(err)
	}
	return hub.SubscriptionGrant{Info: c.Info, ExpiresAt: c.ExpiresAt}, nil
}

// Credentials are the keys and API key a node runs with.
type Credentials struct {
	Keys *auth.KeySet
	// SigningKey mints tokens (the demo token endpoint, `liveroom token`);
	// nil when no configured key can sign.
	SigningKey *auth.Key
	APIKey     string
	// Generated is true when the secrets came from the data directory;
	// GeneratedNow when this start wrote them there.
	Generated    bool
	GeneratedNow bool
}

// LoadCredentials builds the key set from the configuration, or, where
// keys or the API key are not configured, from secrets generated once into
// the data directory (config.Validate allows that only on loopback).
func LoadCredentials(cfg *config.Config) (Credentials, error) {
	return loadCredentials(cfg, true)
}

// ExistingCredentials is LoadCredentials for tools: it never creates
// secrets, so a token it mints is one the running server accepts.
func ExistingCredentials(cfg *config.Config) (Credentials, error) {
	return loadCredentials(cfg, false)
}

func loadCredentials(cfg *config.Config, create bool) (Credentials, error) {
	var creds Credentials
	var keys []auth.Key
	for i, k := range cfg.Auth.Keys {
		key, signer, err := configuredKey(k)
		if err != nil {
			return Credentials{}, fmt.Errorf("auth.keys[%d]: %w", i, err)
		}
		keys = append(keys, key)
		if signer != nil && creds.SigningKey == nil {
			creds.SigningKey = signer
		}
	}
	creds.APIKey = cfg.API.Key
	if len(keys) == 0 || creds.APIKey == "" {
		var secrets auth.Secrets
		var err error
		if create {
			secrets, creds.GeneratedNow, err = auth.LoadOrCreateSecrets(cfg.DataDir)
		} else {
			secrets, err = auth.LoadSecrets(cfg.DataDir)
		}
		if err != nil {
			return Credentials{}, err
		}
		creds.Generated = true
		if len(keys) == 0 {
			key, err := secrets.Key()
			if err != nil {
				return Credentials{}, err
			}
			keys = append(keys, key)
			creds.SigningKey = &key
		}
		if creds.APIKey == "" {
			creds.APIKey = secrets.APIKey
		}
	}
	set, err := auth.NewKeySet(keys...)
	if err != nil {
		return Credentials{}, err
	}
	creds.Keys = set
	return creds, nil
}

// configuredKey reads one [[auth.keys]] entry; signer is set when the entry
// can mint tokens.
func configuredKey(k config.AuthKey) (key auth.Key, signer *auth.Key, err error) {
	switch k.Algorithm {
	case config.AlgHS256:
		key, err = auth.NewHMACKey(k.ID, k.Secret)
		if err != nil {
			return auth.Key{}, nil, err
		}
		return key, &key, nil
	default:
		pem, err := os.ReadFile(k.PublicKeyFile)
		if err != nil {
			return auth.Key{}, nil, fmt.Errorf("read public_key_file: %w", err)
		}
		key, err = auth.ParsePublicKeyPEM(k.ID, pem)
		if err != nil {
			return auth.Key{}, nil, fmt.Errorf("public_key_file %s: %w", k.PublicKeyFile, err)
		}
		if key.Algorithm != k.Algorithm {
			return auth.Key{}, nil, fmt.Errorf("public_key_file %s holds a %s key but algorithm is %s", k.PublicKeyFile, key.Algorithm, k.Algorithm)
		}
		if k.PrivateKeyFile != "" {
			pem, err := os.ReadFile(k.PrivateKeyFile)
			if err != nil {
				return auth.Key{}, nil, fmt.Errorf("read private_key_file: %w", err)
			}
			priv, err := auth.ParsePrivateKeyPEM(k.ID, pem)
			if err != nil {
				return auth.Key{}, nil, fmt.Errorf("private_key_file %s: %w", k.PrivateKeyFile, err)
			}
			return key, &priv, nil
		}
		return key, nil, nil
	}
}

// NewVerifier builds the token verifier from the configuration.
func NewVerifier(cfg *config.Config, creds Credentials) (*auth.Verifier, error) {
	return auth.NewVerifier(auth.VerifierConfig{
		Keys:           creds.Keys,
		Audience:       cfg.Auth.Audience,
		Issuer:         cfg.Auth.Issuer,
		Leeway:         cfg.Auth.Leeway.Duration(),
		MaxTokenLength: cfg.Auth.MaxTokenBytes.Int(),
	})
}
