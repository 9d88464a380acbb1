package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/unitext"
	"github.com/liveroom-dev/liveroom/wire"
)

// Config configures a Service. Store, Mint, Disconnect and Notify are
// required.
type Config struct {
	// Store keeps accounts, sessions and user guards.
	Store Store
	// Mint signs a connection token (auth.Mint with the node's signing
	// key, audience and issuer).
	Mint func(auth.MintClaims) (string, error)
	// Disconnect closes live connections of user cluster-wide: those of
	// one session, those with tokens issued before a moment, or all (zero
	// filter). It returns once the order is sent (the hub's
	// DisconnectWhere).
	Disconnect func(user string, f Filter, d wire.Disconnect) error
	// Notify publishes a notice to the user's devices (their personal
	// channel). Best effort: failures are logged, never returned.
	Notify func(ctx context.Context, user string, n wire.AccountNotice) error

	// TokenTTL is the lifetime of connection tokens (capped by the
	// session's end).
	TokenTTL time.Duration
	// IdleTimeout ends a session not refreshed for this long; MaxAge ends
	// it this long after sign-in.
	IdleTimeout, MaxAge time.Duration
	// ReuseWindow is how long the refresh token just rotated away is
	// still accepted (without a new rotation).
	ReuseWindow time.Duration
	// Hash are the argon2id costs and concurrency.
	Hash HashParams
	// AddressPerMinute and EmailPerHour limit password attempts per IP
	// address (IPv6 /64) and per email, checked before any hashing.
	AddressPerMinute, EmailPerHour int
	// Signup and Guests allow creating accounts with a password, and guest
	// accounts.
	Signup, Guests bool
	// MaxSessions is the most live sessions per user; a new sign-in past
	// it ends the least recently used one. 0 means 50.
	MaxSessions int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil discards.
	Logger *slog.Logger
}

// Filter selects live connections of a user for Config.Disconnect.
type Filter struct {
	Session      string
	IssuedBefore time.Time
}

// Service is liveroom's accounts, sessions and devices, and the per-user
// guard (blocked, tokens revoked) that every connection token passes. It
// is safe for concurrent use; every method that touches the store takes a
// context.
type Service struct {
	cfg    Config
	store  Store
	hash   *hasher
	byAddr *keyedLimiter
	byMail *keyedLimiter
	log    *slog.Logger
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil, cfg.Mint == nil, cfg.Disconnect == nil, cfg.Notify == nil:
		return nil, errors.New("account: Store, Mint, Disconnect and Notify are required")
	case cfg.TokenTTL <= 0 || cfg.IdleTimeout <= 0 || cfg.MaxAge < cfg.IdleTimeout:
		return nil, fmt.Errorf("account: lifetimes token %v, idle %v, max %v are not positive and ordered", cfg.TokenTTL, cfg.IdleTimeout, cfg.MaxAge)
	case cfg.Hash.MemoryKiB < 8 || cfg.Hash.Iterations < 1 || cfg.Hash.Concurrency < 1:
		return nil, fmt.Errorf("account: hash costs %+v too small", cfg.Hash)
	case cfg.AddressPerMinute < 1 || cfg.EmailPerHour < 1:
		return nil, errors.New("account: attempt limits must be at least 1")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 50
	}
	return &Service{
		cfg:    cfg,
		store:  cfg.Store,
		hash:   newHasher(cfg.Hash),
		byAddr: newKeyedLimiter(cfg.AddressPerMinute, time.Minute, "from your address"),
		byMail: newKeyedLimiter(cfg.EmailPerHour, time.Hour, "for this email"),
		log:    cfg.Logger.With("component", "accounts"),
	}, nil
}

// Prepare opens (creating when missing) the service's buckets, so that
// nodes that cannot create them (edges) find them, and the first
// connection does not pay for their creation.
func (s *Service) Prepare(ctx context.Context) error {
	for _, b := range []string{bucketAccounts, bucketSessions, bucketGuard} {
		if _, _, err := s.store.Get(ctx, b, s.store.Key("prepare")); err != nil && !errors.Is(err, ErrNotFound) {
			return storeFailure("open bucket "+b, err)
		}
	}
	return nil
}

// Stats are counters for tests, metrics and benchmarks.
type Stats struct {
	HashesRun      int64 // argon2id computations
	HashPeak       int64 // most computations seen at once
	HashBusy       int64 // callers refused because the hashing queue was full
	LimiterEntries int   // keys held by the attempt limiters
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{HashesRun: s.hash.total.Load(), HashPeak: s.hash.peak.Load(), HashBusy: s.hash.busy.Load(),
		LimiterEntries: s.byAddr.size() + s.byMail.size()}
}

// userPrefix starts liveroom account ids; the rest is 16 characters of
// lower-case base32 (80 random bits).
const userPrefix = "u-"

func newUserID() string { return userPrefix + strings.ToLower(rand.Text()[:16]) }

// validID reports whether s looks like an id newUserID made.
func validID(s string) bool {
	if len(s) != len(userPrefix)+16 || !strings.HasPrefix(s, userPrefix) {
		return false
	}
	for i := len(userPrefix); i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// SessionPrefix starts the id of every liveroom account session, which
// connection tokens carry as "sid". A token whose sid has this prefix
// is checked against the session store; other sid values (an app's own)
// are left alone.
const SessionPrefix = "lrs_"

func newSessionID() string { return SessionPrefix + rand.Text() }

// validSessionID reports whether s looks like an id newSessionID made.
func validSessionID(s string) bool {
	if len(s) != len(SessionPrefix)+26 || !strings.HasPrefix(s, SessionPrefix) {
		return false
	}
	for i := len(SessionPrefix); i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// maxEmailBytes is the longest address RFC 5321 §4.5.3.1.3 allows in a
// path.
const maxEmailBytes = 254

// normalizeEmail trims and lower-cases an email and checks its shape: one
// '@', a non-empty local part, a domain with a dot, no spaces or control
// characters. Lower-casing the local part too is a choice: no mail
// provider people use tells Ada@ from ada@, and users do not either.
func normalizeEmail(s string) (string, *Error) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case s == "":
		return "", refuse(wire.CodeBadRequest, "email is empty")
	case len(s) > maxEmailBytes:
		return "", refuse(wire.CodeBadRequest, "email is too long: at most %d characters", maxEmailBytes)
	case !ok || local == "" || strings.Contains(domain, "@"):
		return "", refuse(wire.CodeBadRequest, "email must look like name@example.com")
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return "", refuse(wire.CodeBadRequest, "email domain %q is not a domain name", domain)
	case !utf8.ValidString(s):
		return "", refuse(wire.CodeBadRequest, "email is not valid UTF-8 text")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", refuse(wire.CodeBadRequest, "email has a space or an invisible character")
		}
	}
	return s, nil
}

// maxNameChars bounds a display name.
const maxNameChars = 32

// cleanName trims a display name and checks it is 1–32 printable
// characters, at least one of them visible (not only Hangul fillers or
// blank braille patterns: see unitext.Blank).
func cleanName(name string) (string, *Error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", refuse(wire.CodeBadRequest, "name is empty: choose a display name")
	case !utf8.ValidString(name):
		return "", refuse(wire.CodeBadRequest, "name is not valid UTF-8 text")
	case utf8.RuneCountInString(name) > maxNameChars:
		return "", refuse(wire.CodeBadRequest, "name is too long: use at most %d characters", maxNameChars)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "", refuse(wire.CodeBadRequest, "name has control, line-breaking or invisible characters")
		}
	}
	if !unitext.Visible(name) {
		return "", refuse(wire.CodeBadRequest, "name shows nothing (only blank or filler characters): choose a display name with letters, digits or emoji")
	}
	if reservedName(name) {
		return "", refuse(wire.CodeBadRequest, "name %q is reserved", DeletedName)
	}
	return name, nil
}

// reservedName reports whether name reads as DeletedName: compared in
// compatibility form (full-width letters, no-break spaces), ignoring case
// and how many spaces separate the words.
func reservedName(name string) bool {
	folded := strings.Join(strings.Fields(norm.NFKC.String(name)), " ")
	return strings.EqualFold(folded, DeletedName)
}

// notify sends a notice to user's devices, logging a failure.
func (s *Service) notify(ctx context.Context, user string, n wire.AccountNotice) {
	n.At = s.cfg.Now().UnixMilli()
	if err := s.cfg.Notify(ctx, user, n); err != nil {
		s.log.Warn("account notice not sent", "user", user, "type", n.Type, "err", err)
	}
}

// disconnect closes live connections, logging a failure (the session is
// ended in the store either way: its tokens no longer work).
func (s *Service) disconnect(user string, f Filter, d wire.Disconnect) {
	if err := s.cfg.Disconnect(user, f, d); err != nil {
		s.log.Warn("disconnect order not sent", "user", user, "session", f.Session, "err", err)
	}
}

// storeFailure wraps a store error for callers: a temporary refusal.
func storeFailure(op string, err error) error {
	return fmt.Errorf("account: %s: %w", op, err)
}
