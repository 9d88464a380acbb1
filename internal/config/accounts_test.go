package config

import (
	"strings"
	"testing"
	"time"
)

func TestAccountsAuto(t *testing.T) {
	on := true
	c := Default()
	if !c.AccountsEnabled() {
		t.Fatal("accounts off by default on loopback with the demo on")
	}
	c.Demo = new(bool)
	if c.AccountsEnabled() {
		t.Fatal("accounts on with the demo off and accounts.enabled unset")
	}
	c.Accounts.Enabled = &on
	if !c.AccountsEnabled() {
		t.Fatal("accounts.enabled = true ignored")
	}
	c = Default()
	c.Auth.Keys = []AuthKey{{Algorithm: AlgRS256, PublicKeyFile: "pub.pem"}}
	if c.AccountsEnabled() {
		t.Fatal("accounts on automatically with a verify-only key")
	}
	c.Accounts.Enabled = &on
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "accounts mint connection tokens") {
		t.Fatalf("accounts.enabled with a verify-only key: %v", err)
	}
}

func TestWebAndAccountsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"origin with path", func(c *Config) { c.Web.AllowedOrigins = []string{"https://example.com/app"} }, "web.allowed_origins"},
		{"origin null", func(c *Config) { c.Web.AllowedOrigins = []string{"null"} }, "web.allowed_origins"},
		{"origin scheme", func(c *Config) { c.Web.AllowedOrigins = []string{"ws://example.com"} }, "scheme must be http or https"},
		{"max age below idle", func(c *Config) { c.Accounts.MaxAge = Duration(time.Hour) }, "accounts.max_age"},
		{"token longer than idle", func(c *Config) {
			c.Accounts.IdleTimeout = Duration(time.Minute)
			c.Accounts.MaxAge = Duration(time.Hour)
		}, "accounts.token_ttl"},
		{"reuse window too long", func(c *Config) { c.Accounts.RefreshReuseWindow = Duration(time.Hour) }, "accounts.refresh_reuse_window"},
		{"hash memory tiny", func(c *Config) { c.Accounts.HashMemory = 1024 }, "accounts.hash_memory"},
		{"hash iterations", func(c *Config) { c.Accounts.HashIterations = 0 }, "accounts.hash_iterations"},
		{"hash concurrency", func(c *Config) { c.Accounts.HashConcurrency = 0 }, "accounts.hash_concurrency"},
		{"address attempts", func(c *Config) { c.Accounts.AddressAttemptsPerMinute = 0 }, "accounts.address_attempts_per_minute"},
	} {
		c := Default()
		tc.mutate(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error naming %s", tc.name, err, tc.want)
		}
	}
	c := Default()
	c.Web.AllowedOrigins = []string{"https://example.com", "http://localhost:3000"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
