package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/liveroom-dev/liveroom/internal/accountapi"
	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// accountStore adapts the hub's module store (JetStream KV) to the
// account package.
type accountStore struct{ m hub.ModuleStore }

func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hub.ErrKeyNotFound):
		return fmt.Errorf("%w: %w", account.ErrNotFound, err)
	case errors.Is(err, hub.ErrKeyExists):
		return fmt.Errorf("%w: %w", account.ErrExists, err)
	case errors.Is(err, hub.ErrRevisionMoved):
		return fmt.Errorf("%w: %w", account.ErrConflict, err)
	}
	return err
}

func (s accountStore) Get(ctx context.Context, bucket, key string) ([]byte, uint64, error) {
	v, rev, err := s.m.KVGet(ctx, bucket, key)
	return v, rev, storeErr(err)
}

func (s accountStore) Create(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	rev, err := s.m.KVCreate(ctx, bucket, key, value)
	return rev, storeErr(err)
}

func (s accountStore) Update(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := s.m.KVUpdate(ctx, bucket, key, value, revision)
	return rev, storeErr(err)
}

func (s accountStore) Put(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	rev, err := s.m.KVPut(ctx, bucket, key, value)
	return rev, storeErr(err)
}

func (s accountStore) Delete(ctx context.Context, bucket, key string) error {
	return storeErr(s.m.KVDelete(ctx, bucket, key))
}

func (s accountStore) Keys(ctx context.Context, bucket, filter string, limit int) ([]string, error) {
	keys, err := s.m.KVKeys(ctx, bucket, filter, limit)
	return keys, storeErr(err)
}

func (accountStore) Key(parts ...string) string { return hub.KVKey(parts...) }

// PersonalNamespace is where account notices go: "personal:<user id>",
// which only that user may subscribe to.
const PersonalNamespace = "personal"

// newAccounts builds the account service: the guard every connection
// token passes, and liveroom's own accounts when they are on.
func (s *Server) newAccounts() (*account.Service, error) {
	a := s.cfg.Accounts
	mint := func(c auth.MintClaims) (string, error) {
		if s.creds.SigningKey == nil {
			return "", errors.New("no configured key can sign tokens (give a private_key_file)")
		}
		c.Audience, c.Issuer = s.cfg.Auth.Audience, s.cfg.Auth.Issuer
		return auth.Mint(*s.creds.SigningKey, c)
	}
	if _, ok := s.cfg.Namespace(PersonalNamespace); !ok && s.cfg.AccountsEnabled() {
		s.log.Warn("accounts are on but the personal namespace is not configured: devices will not get account notices")
	}
	return account.New(account.Config{
		Store: accountStore{s.hub.Modules()},
		Mint:  mint,
		Disconnect: func(user string, f account.Filter, d wire.Disconnect) error {
			if werr := s.hub.DisconnectWhere(user, hub.ConnFilter{Session: f.Session, IssuedBefore: f.IssuedBefore}, d); werr != nil {
				return werr
			}
			return nil
		},
		Notify: func(ctx context.Context, user string, n wire.AccountNotice) error {
			data, err := json.Marshal(n)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, werr := s.hub.Publish(ctx, PersonalNamespace+":"+user, data, ""); werr != nil {
				return werr
			}
			return nil
		},
		TokenTTL:    a.TokenTTL.Duration(),
		IdleTimeout: a.IdleTimeout.Duration(),
		MaxAge:      a.MaxAge.Duration(),
		ReuseWindow: a.RefreshReuseWindow.Duration(),
		Hash: account.HashParams{MemoryKiB: uint32(a.HashMemory / config.KiB), Iterations: uint32(a.HashIterations),
			Concurrency: a.HashConcurrency, Queue: a.HashQueue},
		AddressPerMinute: a.AddressAttemptsPerMinute,
		EmailPerHour:     a.EmailAttemptsPerHour,
		Signup:           a.Signup,
		Guests:           a.Guests,
		Logger:           s.log,
	})
}

// accountRoutes mounts /account/ when accounts are on.
func (s *Server) accountRoutes(mux *http.ServeMux, v *auth.Verifier) {
	if !s.cfg.AccountsEnabled() {
		return
	}
	mux.Handle("/account/", accountapi.New(accountapi.Config{Accounts: s.accounts, Verifier: v, Origins: s.origins, Logger: s.log}))
}

// Accounts gives tests and tools the account service (its counters).
func (s *Server) Accounts() *account.Service { return s.accounts }
