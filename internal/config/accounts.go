package config

import (
	"time"

	"github.com/liveroom-dev/liveroom/internal/origin"
	"github.com/liveroom-dev/liveroom/internal/realip"
)

// WebConfig is the [web] table: what browsers may do with this server.
type WebConfig struct {
	// Browser origins allowed to open WebSocket and streaming connections
	// and to call the account endpoints, each "scheme://host[:port]", such
	// as "https://example.com". Compared exactly: another scheme, host or
	// port, a look-alike host and "null" are refused. Empty allows each
	// request's own origin (its Host header, http or https as it arrived);
	// behind a proxy that terminates TLS, list the https origin here.
	// Requests without an Origin header (native apps, servers) are always
	// let through and must then carry a token.
	AllowedOrigins []string `toml:"allowed_origins"`
	// When set, responses carry Strict-Transport-Security with this
	// max-age, telling browsers to use only https for this host. Set it
	// only when the site is served over https (TLS ends at a proxy in
	// front of liveroom). 0s = not sent.
	HSTSMaxAge Duration `toml:"hsts_max_age"`
	// Proxies in front of liveroom (load balancers, TLS terminators) whose
	// X-Forwarded-For is believed: IP addresses or CIDR prefixes, such as
	// "10.0.0.0/8". A request whose TCP peer is one of them counts as
	// coming from the last address in that header that is not itself a
	// trusted proxy, for client.max_connections_per_ip, the accounts'
	// attempts per address and the devices list. Empty: every request is
	// its TCP peer's, and behind a load balancer all clients share its
	// address (so its per-address limits apply to all of them together).
	TrustedProxies []string `toml:"trusted_proxies"`
}

// AccountsConfig is the [accounts] table: liveroom's own accounts, sign-in
// sessions and devices, for apps that do not bring their own login.
type AccountsConfig struct {
	// Whether the account endpoints under /account/ are on: sign-up,
	// sign-in, sessions and devices. Unset means on exactly when the demo
	// site is on. Accounts mint connection tokens, so they need a key that
	// can sign (an HS256 secret or a private_key_file).
	Enabled *bool `toml:"enabled" docdefault:"auto: on when the demo site is on"`
	// Whether anyone may create an account with an email and a password.
	Signup bool `toml:"signup"`
	// Whether anyone may start a guest account (a display name only),
	// which can later be upgraded with an email and a password.
	Guests bool `toml:"guests"`
	// Lifetime of the connection tokens a session issues. Clients fetch a
	// new one before it runs out. Short tokens bound how long a stolen one
	// works.
	TokenTTL Duration `toml:"token_ttl"`
	// A session not refreshed for this long ends ("session expired — sign
	// in again").
	IdleTimeout Duration `toml:"idle_timeout"`
	// A session ends this long after sign-in, however active. At least
	// idle_timeout.
	MaxAge Duration `toml:"max_age"`
	// How long the refresh token just replaced by a rotation is still
	// accepted (without being rotated again), for two tabs of one browser
	// that refresh at the same moment. Any older refresh token, or this
	// one later, ends the whole session as stolen. 0s = no grace.
	RefreshReuseWindow Duration `toml:"refresh_reuse_window"`
	// Memory of one argon2id password hash (RFC 9106), in bytes. The
	// OWASP minimum is 19MiB. Memory use of sign-ins peaks at
	// hash_concurrency times this.
	HashMemory ByteSize `toml:"hash_memory"`
	// Passes of argon2id over its memory (its time cost), 1 to 10.
	HashIterations int `toml:"hash_iterations"`
	// Most password hashes computed at once on this node; more wait (see
	// hash_queue).
	HashConcurrency int `toml:"hash_concurrency"`
	// Most sign-in, sign-up and password requests waiting for a hashing
	// slot; past it they are answered 503 with Retry-After at once.
	HashQueue int `toml:"hash_queue"`
	// Password attempts (sign-in, sign-up, guest, password change and
	// delete) per minute allowed from one IP address (IPv6: one /64), in
	// a burst of the same size. Checked before any hashing.
	AddressAttemptsPerMinute int `toml:"address_attempts_per_minute"`
	// Sign-in attempts per hour allowed for one email address, registered
	// or not, in a burst of the same size. Checked before any hashing.
	EmailAttemptsPerHour int `toml:"email_attempts_per_hour"`
}

// AccountsEnabled reports whether the account endpoints are on: the value
// of accounts.enabled when set, otherwise whether the demo site is on and
// a key can sign the tokens accounts mint.
func (c *Config) AccountsEnabled() bool {
	if c.Accounts.Enabled != nil {
		return *c.Accounts.Enabled
	}
	return c.DemoEnabled() && (len(c.Auth.Keys) == 0 || c.anyKeyCanSign())
}

func defaultWeb() WebConfig { return WebConfig{} }

func defaultAccounts() AccountsConfig {
	return AccountsConfig{
		Signup:                   true,
		Guests:                   true,
		TokenTTL:                 Duration(5 * time.Minute),
		IdleTimeout:              Duration(7 * 24 * time.Hour),
		MaxAge:                   Duration(30 * 24 * time.Hour),
		RefreshReuseWindow:       Duration(10 * time.Second),
		HashMemory:               19 * MiB,
		HashIterations:           2,
		HashConcurrency:          2,
		HashQueue:                32,
		AddressAttemptsPerMinute: 10,
		EmailAttemptsPerHour:     20,
	}
}

func (c *Config) validateWeb(ck *checker) {
	for _, o := range c.Web.AllowedOrigins {
		if _, err := origin.Normalize(o); err != nil {
			ck.fail("", "web.allowed_origins", o, "%v", err)
		}
	}
	ck.atLeast("", "web.hsts_max_age", int64(c.Web.HSTSMaxAge), 0, c.Web.HSTSMaxAge)
	for _, e := range c.Web.TrustedProxies {
		if _, err := realip.Parse([]string{e}); err != nil {
			ck.fail("", "web.trusted_proxies", e, "%v", err)
		}
	}
}

func (c *Config) validateAccounts(ck *checker) {
	a := &c.Accounts
	ck.positive("accounts.token_ttl", a.TokenTTL)
	ck.positive("accounts.idle_timeout", a.IdleTimeout)
	ck.positive("accounts.max_age", a.MaxAge)
	if a.IdleTimeout > 0 && a.MaxAge > 0 && a.MaxAge < a.IdleTimeout {
		ck.fail("", "accounts.max_age", a.MaxAge, "must be at least accounts.idle_timeout (%s)", a.IdleTimeout)
	}
	if a.TokenTTL > a.IdleTimeout && a.IdleTimeout > 0 {
		ck.fail("", "accounts.token_ttl", a.TokenTTL, "must not be longer than accounts.idle_timeout (%s)", a.IdleTimeout)
	}
	ck.atLeast("", "accounts.refresh_reuse_window", int64(a.RefreshReuseWindow), 0, a.RefreshReuseWindow)
	if a.RefreshReuseWindow > Duration(time.Minute) {
		ck.fail("", "accounts.refresh_reuse_window", a.RefreshReuseWindow, "must be at most 1m: a longer grace lets a stolen refresh token go unnoticed")
	}
	if a.HashMemory < 64*KiB || a.HashMemory > GiB {
		ck.fail("", "accounts.hash_memory", a.HashMemory, "must be from 64KiB to 1GiB (19MiB or more is recommended)")
	}
	if a.HashIterations < 1 || a.HashIterations > 10 {
		ck.fail("", "accounts.hash_iterations", a.HashIterations, "must be from 1 to 10")
	}
	ck.atLeast("", "accounts.hash_concurrency", int64(a.HashConcurrency), 1, a.HashConcurrency)
	ck.atLeast("", "accounts.hash_queue", int64(a.HashQueue), 0, a.HashQueue)
	ck.atLeast("", "accounts.address_attempts_per_minute", int64(a.AddressAttemptsPerMinute), 1, a.AddressAttemptsPerMinute)
	ck.atLeast("", "accounts.email_attempts_per_hour", int64(a.EmailAttemptsPerHour), 1, a.EmailAttemptsPerHour)
	if a.Enabled != nil && *a.Enabled && len(c.Auth.Keys) > 0 && !c.anyKeyCanSign() {
		ck.fail("", "accounts.enabled", true, "accounts mint connection tokens: give an HS256 key or a private_key_file in auth.keys")
	}
}

// anyKeyCanSign reports whether some configured key can mint tokens.
func (c *Config) anyKeyCanSign() bool {
	for _, k := range c.Auth.Keys {
		if k.Algorithm == AlgHS256 || k.PrivateKeyFile != "" {
			return true
		}
	}
	return false
}
