package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/server"
	"github.com/liveroom-dev/liveroom/wire"
)

// run is the whole program: it returns the exit code.
func run(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	getenv := lookup(environ)
	if len(args) > 0 {
		switch args[0] {
		case "token":
			return runToken(args[1:], getenv, stdout, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, "liveroom", server.Version)
			return 0
		}
	}
	cfg, err := config.Load(args, getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_ = config.WriteUsage(stdout)
			fmt.Fprintln(stdout, "\nOther commands:\n  liveroom token --user ID [--name N] [--ttl 1h] [--channels a,b] [--channel CH] [--roles chat:*=moderator]   mint a token\n  liveroom version")
			fmt.Fprintln(stdout, "\nEvery setting, with its flag, environment variable and config-file key: docs/configuration.md")
			return 0
		}
		fmt.Fprintf(stderr, "liveroom: %v\n", err)
		return 2
	}
	log := server.NewLogger(cfg, stderr)
	for _, name := range config.UnknownEnv(environ) {
		log.Warn("environment variable ignored: no setting has this name; only settings with a flag are read from "+
			"the environment (LIVEROOM_ and the flag's name, dashes as underscores), the others go in the config file "+
			"(docs/configuration.md)", "variable", name)
	}
	if err := server.Run(ctx, cfg, log, stdout); err != nil {
		log.Error("liveroom stopped with an error", "err", err)
		return 1
	}
	log.Info("liveroom stopped")
	return 0
}

// runToken mints a connection (or, with --channel, subscription) token with
// the node's key: the configured signing key, or the secret generated into
// the data directory.
func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("liveroom token", flag.ContinueOnError)
	fs.SetOutput(stdout)
	user := fs.String("user", "", "user id (the token's sub); required")
	name := fs.String("name", "", "display name, put in the token's info as {\"name\": …}")
	ttl := fs.Duration("ttl", time.Hour, "token lifetime")
	channels := fs.String("channels", "", "comma-separated channels: server-side subscriptions and the connection's only allowed channels")
	channel := fs.String("channel", "", "make a subscription token for this channel instead")
	roles := fs.String("roles", "", "comma-separated scope=role pairs for the roles claim, e.g. chat:*=moderator,chat:lobby=owner")
	var serverArgs []string
	for _, f := range []string{"config", "data-dir"} {
		usage := "as for the server (the key is read from there; default ./data)"
		if f == "config" {
			usage = "as for the server (a configured signing key is used instead of the data directory's secret)"
		}
		fs.Func(f, usage, func(v string) error {
			serverArgs = append(serverArgs, "--"+f, v)
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *user == "" {
		fmt.Fprintln(stderr, "liveroom token: --user is required")
		return 2
	}
	cfg, err := config.Load(serverArgs, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "liveroom token: %v\n", err)
		return 2
	}
	if n := len(strings.Split(*channels, ",")); *channels != "" && cfg.Client.MaxSubscriptions > 0 && n > cfg.Client.MaxSubscriptions {
		fmt.Fprintf(stderr, "liveroom token: --channels lists %d channels but client.max_subscriptions is %d: the server would refuse the token (3500); list fewer or raise the limit\n", n, cfg.Client.MaxSubscriptions)
		return 2
	}
	creds, err := server.ExistingCredentials(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "liveroom token: %v\n", err)
		return 1
	}
	if creds.SigningKey == nil {
		fmt.Fprintln(stderr, "liveroom token: no configured key can sign (add private_key_file to an [[auth.keys]] entry)")
		return 1
	}
	claims := auth.MintClaims{User: *user, Name: *name, TTL: *ttl, Channel: *channel,
		Audience: cfg.Auth.Audience, Issuer: cfg.Auth.Issuer}
	if *channels != "" {
		claims.Channels = strings.Split(*channels, ",")
	}
	if *roles != "" {
		claims.Roles = wire.Roles{}
		for _, pair := range strings.Split(*roles, ",") {
			scope, role, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok || scope == "" || role == "" {
				fmt.Fprintf(stderr, "liveroom token: --roles entry %q is not scope=role (e.g. chat:*=moderator)\n", pair)
				return 2
			}
			if !wire.KnownRole(role) {
				fmt.Fprintf(stderr, "liveroom token: --roles entry %q: unknown role %q; the roles are %s, %s and %s\n",
					pair, role, wire.RoleOwner, wire.RoleModerator, wire.RoleAgent)
				return 2
			}
			claims.Roles[scope] = append(claims.Roles[scope], role)
		}
	}
	for _, ch := range append(append([]string(nil), claims.Channels...), *channel) {
		if ch == "" {
			continue
		}
		if _, werr := hub.ValidateChannel(ch); werr != nil {
			fmt.Fprintf(stderr, "liveroom token: channel %q: %s\n", ch, werr.Message)
			return 2
		}
	}
	token, err := auth.Mint(*creds.SigningKey, claims)
	if err != nil {
		fmt.Fprintf(stderr, "liveroom token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, token)
	return 0
}

// lookup returns a getenv over environ ("NAME=value" entries, as from
// os.Environ); a name given twice has its last value, as in a process.
func lookup(environ []string) func(string) string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			m[name] = value
		}
	}
	return func(name string) string { return m[name] }
}
