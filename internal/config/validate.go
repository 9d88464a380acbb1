package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ValueError is a setting whose value is not allowed.
type ValueError struct {
	// Where names the entry of an array of tables, such as `namespace
	// "room"` or "auth.keys entry 2"; empty for other keys.
	Where string
	// Key is the dotted TOML path of the setting, such as
	// "client.pong_timeout" or "namespaces.subscribe".
	Key string
	// Value is the value as TOML would write it; empty for secrets, which
	// are never echoed.
	Value string
	// Problem says what is allowed.
	Problem string
}

func (e *ValueError) Error() string {
	var b strings.Builder
	if e.Where != "" {
		b.WriteString(e.Where + ": ")
	}
	b.WriteString(e.Key)
	if e.Value != "" {
		b.WriteString(" = " + e.Value)
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

// tomlValue writes v as it would appear in a TOML file.
func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case SubscribePolicy:
		return strconv.Quote(string(v))
	case PublishPolicy:
		return strconv.Quote(string(v))
	case Duration:
		return strconv.Quote(v.String())
	case ByteSize:
		return strconv.FormatInt(int64(v), 10)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

type checker struct{ errs []error }

// fail records that key (with value, nil to hide it) breaks a rule.
func (c *checker) fail(where, key string, value any, problem string, args ...any) {
	c.errs = append(c.errs, &ValueError{Where: where, Key: key, Value: tomlValue(value), Problem: fmt.Sprintf(problem, args...)})
}

func (c *checker) positive(key string, v Duration) {
	if v <= 0 {
		c.fail("", key, v, "must be longer than 0s")
	}
}

func (c *checker) atLeast(where, key string, v, minimum int64, value any) {
	switch {
	case v >= minimum:
	case minimum == 0:
		c.fail(where, key, value, "must not be negative")
	default:
		c.fail(where, key, value, "must be at least %d", minimum)
	}
}

func (c *checker) oneOf(where, key, v string, allowed []string) {
	if slices.Contains(allowed, v) {
		return
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	c.fail(where, key, v, "must be one of %s", strings.Join(quoted, ", "))
}

// validName reports whether s has 1 to maxLen bytes, each a lower-case
// ASCII letter, a digit, '_' or '-', or also an upper-case letter or '.'
// when loose.
func validName(s string, maxLen int, loose bool) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
		case loose && (r >= 'A' && r <= 'Z' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// Validate checks every setting and returns all problems found, joined
// (each a *ValueError or, for the rule that ties addr to secrets, a plain
// error), or nil. A Config that passes is safe for the server to use as is.
func (c *Config) Validate() error {
	var ck checker
	c.validateTop(&ck)
	c.validateAuth(&ck)
	c.validateClient(&ck)
	c.validateNamespaces(&ck)
	c.validateChat(&ck)
	c.validateSupport(&ck)
	c.validateCluster(&ck)
	c.validateWeb(&ck)
	c.validateAccounts(&ck)
	return errors.Join(ck.errs...)
}

func (c *Config) validateTop(ck *checker) {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		ck.fail("", "addr", c.Addr, "must be host:port, such as \"127.0.0.1:8080\", \"[::1]:8080\" or \"0.0.0.0:8080\"")
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		ck.fail("", "addr", c.Addr, "port %q must be a number from 0 to 65535", port)
	} else if !c.Loopback() {
		var missing []string
		if len(c.Auth.Keys) == 0 {
			missing = append(missing, "auth.keys")
		}
		if c.API.Key == "" {
			missing = append(missing, "api.key")
		}
		if len(missing) > 0 {
			detail := ""
			if len(missing) == 1 {
				detail = fmt.Sprintf(" (%s is not set)", missing[0])
			}
			shown := c.Addr
			if host == "" {
				shown += " (all interfaces)"
			}
			ck.errs = append(ck.errs, fmt.Errorf("listening on %s requires auth.keys and api.key to be set in the config file%s: generated secrets are only used on loopback", shown, detail))
		}
	}
	if c.DataDir == "" {
		ck.fail("", "data_dir", c.DataDir, "must name a directory, such as \"./data\"")
	}
	c.validateNATSURL(ck)
	if c.NodeName != "" && !validName(c.NodeName, 64, true) {
		ck.fail("", "node_name", c.NodeName, "must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	ck.oneOf("", "log_level", c.LogLevel, []string{"debug", "info", "warn", "error"})
	ck.oneOf("", "log_format", c.LogFormat, []string{"text", "json"})
	ck.atLeast("", "engine.max_storage_bytes", int64(c.Engine.MaxStorageBytes), 0, c.Engine.MaxStorageBytes)
	ck.atLeast("", "engine.max_memory_bytes", int64(c.Engine.MaxMemoryBytes), 0, c.Engine.MaxMemoryBytes)
	if c.Presence.TTL < Duration(time.Second) {
		ck.fail("", "presence.ttl", c.Presence.TTL, "must be at least 1s")
	}
	ck.atLeast("", "presence.max_list", int64(c.Presence.MaxList), 1, c.Presence.MaxList)
	ck.atLeast("", "shutdown.drain_window", int64(c.Shutdown.DrainWindow), 0, c.Shutdown.DrainWindow)
	ck.positive("shutdown.timeout", c.Shutdown.Timeout)
	if c.Shutdown.Timeout > 0 && c.Shutdown.Timeout < c.Shutdown.DrainWindow {
		ck.fail("", "shutdown.timeout", c.Shutdown.Timeout, "must be at least shutdown.drain_window (%s)", c.Shutdown.DrainWindow)
	}
}

// validateNATSURL checks each comma-separated URL without echoing it: a
// NATS URL may carry a password.
func (c *Config) validateNATSURL(ck *checker) {
	if c.NATSURL == "" {
		return
	}
	for i, raw := range strings.Split(c.NATSURL, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "":
			ck.fail("", "nats_url", nil, "URL %d is not of the form nats://host:4222", i+1)
		case !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme):
			ck.fail("", "nats_url", nil, "URL %d has scheme %q; use nats, tls, ws or wss", i+1, u.Scheme)
		}
	}
}

func (c *Config) validateAuth(ck *checker) {
	a := &c.Auth
	ck.atLeast("", "auth.leeway", int64(a.Leeway), 0, a.Leeway)
	ck.atLeast("", "auth.expiry_grace", int64(a.ExpiryGrace), 0, a.ExpiryGrace)
	ck.atLeast("", "auth.max_token_bytes", int64(a.MaxTokenBytes), 1, a.MaxTokenBytes)
	ids := make(map[string]int)
	for i, k := range a.Keys {
		where := fmt.Sprintf("auth.keys entry %d", i+1)
		if k.ID != "" {
			where += fmt.Sprintf(" (id %q)", k.ID)
			if first, dup := ids[k.ID]; dup {
				ck.fail(where, "auth.keys.id", k.ID, "already used by entry %d; ids must be unique", first)
			} else {
				ids[k.ID] = i + 1
			}
		} else if len(a.Keys) > 1 {
			ck.fail(where, "auth.keys.id", nil, "required when there are several keys: tokens choose their key by the JWT \"kid\" header")
		}
		switch k.Algorithm {
		case AlgHS256:
			if len(k.Secret) < 32 {
				ck.fail(where, "auth.keys.secret", nil, "HS256 needs a secret of at least 32 bytes (it has %d), for example the output of `openssl rand -base64 32`", len(k.Secret))
			}
			if k.PublicKeyFile != "" || k.PrivateKeyFile != "" {
				ck.fail(where, "auth.keys.public_key_file", nil, "HS256 uses secret only; public_key_file and private_key_file are for RS256 and EdDSA")
			}
		case AlgRS256, AlgEdDSA:
			if k.PublicKeyFile == "" {
				ck.fail(where, "auth.keys.public_key_file", nil, "%s needs the path of a PEM public key file", k.Algorithm)
			}
			if k.Secret != "" {
				ck.fail(where, "auth.keys.secret", nil, "only HS256 uses a secret; %s uses public_key_file", k.Algorithm)
			}
		default:
			ck.oneOf(where, "auth.keys.algorithm", k.Algorithm, []string{AlgHS256, AlgRS256, AlgEdDSA})
		}
	}
	if c.servesOthers() {
		for _, name := range c.PlaceholderSecrets() {
			where, key, ok := strings.Cut(name, ": ")
			if !ok {
				where, key = "", name
			}
			ck.fail(where, key, nil, "the placeholder from the documentation, which anyone can read: put a random value here, for example the output of `openssl rand -base64 32` (only a node on loopback with no proxy or public origin configured starts with it, warning)")
		}
	}
	if c.API.Key != "" && len(c.API.Key) < 16 {
		ck.fail("", "api.key", nil, "must be at least 16 characters (it has %d); leave it empty on loopback to have one generated", len(c.API.Key))
	}
}

func (c *Config) validateClient(ck *checker) {
	cl := &c.Client
	ck.positive("client.ping_interval", cl.PingInterval)
	ck.positive("client.pong_timeout", cl.PongTimeout)
	if cl.PongTimeout > 0 && cl.PongTimeout >= cl.PingInterval {
		ck.fail("", "client.pong_timeout", cl.PongTimeout, "must be less than client.ping_interval (%s)", cl.PingInterval)
	}
	ck.positive("client.connect_timeout", cl.ConnectTimeout)
	ck.positive("client.write_timeout", cl.WriteTimeout)
	ck.atLeast("", "client.channel_linger", int64(cl.ChannelLinger), 0, cl.ChannelLinger)
	ck.positive("client.handshake_timeout", cl.HandshakeTimeout)
	ck.positive("client.frame_timeout", cl.FrameTimeout)
	if cl.MaxMessageBytes <= c.Auth.MaxTokenBytes {
		ck.fail("", "client.max_message_bytes", cl.MaxMessageBytes, "must be more than auth.max_token_bytes (%d): the connect command carries the token", c.Auth.MaxTokenBytes)
	}
	if cl.QueueMaxBytes < cl.MaxMessageBytes {
		ck.fail("", "client.queue_max_bytes", cl.QueueMaxBytes, "must be at least client.max_message_bytes (%d), or one large message would disconnect its reader", cl.MaxMessageBytes)
	}
	ck.atLeast("", "client.max_subscriptions", int64(cl.MaxSubscriptions), 1, cl.MaxSubscriptions)
	c.rate(ck, "", "client.commands_per_second", "client.commands_burst", cl.CommandsPerSecond, cl.CommandsBurst)
	ck.atLeast("", "client.max_connections_per_user", int64(cl.MaxConnectionsPerUser), 0, cl.MaxConnectionsPerUser)
	ck.atLeast("", "client.max_connections_per_ip", int64(cl.MaxConnectionsPerIP), 0, cl.MaxConnectionsPerIP)
	c.rate(ck, "", "client.accept_rate", "client.accept_burst", cl.AcceptRate, cl.AcceptBurst)
	ck.atLeast("", "client.max_header_bytes", int64(cl.MaxHeaderBytes), int64(KiB), cl.MaxHeaderBytes)
	ck.atLeast("", "client.compression_min_bytes", int64(cl.CompressionMinBytes), 1, cl.CompressionMinBytes)
	ck.atLeast("", "client.max_inflated_bytes", int64(cl.MaxInflatedBytes), 0, cl.MaxInflatedBytes)
}

// rate checks a token bucket: a non-negative rate (0 = unlimited) and a
// burst of at least 1 when the rate is set.
func (c *Config) rate(ck *checker, where, rateKey, burstKey string, rate, burst int) {
	ck.atLeast(where, rateKey, int64(rate), 0, rate)
	if rate > 0 && burst < 1 {
		ck.fail(where, burstKey, burst, "must be at least 1 when %s is set (%d per second)", rateKey, rate)
	} else {
		ck.atLeast(where, burstKey, int64(burst), 0, burst)
	}
}

func (c *Config) validateNamespaces(ck *checker) {
	seen := make(map[string]bool)
	for _, ns := range c.Namespaces {
		where := fmt.Sprintf("namespace %q", ns.Name)
		if ns.Name != "" && !validName(ns.Name, 32, false) {
			ck.fail(where, "namespaces.name", ns.Name, "must be 1 to 32 of a-z, 0-9, '_' and '-' (or \"\" for the default namespace)")
		}
		if seen[ns.Name] {
			ck.fail(where, "namespaces.name", ns.Name, "defined more than once; each namespace may appear once in the config file")
		}
		seen[ns.Name] = true
		ck.atLeast(where, "namespaces.history_size", int64(ns.HistorySize), 0, ns.HistorySize)
		ck.atLeast(where, "namespaces.history_ttl", int64(ns.HistoryTTL), 0, ns.HistoryTTL)
		if ns.HistorySize == 0 && ns.HistoryTTL > 0 {
			ck.fail(where, "namespaces.history_ttl", ns.HistoryTTL, "has no effect without history: set history_size too")
		}
		if ns.HistorySize == 0 && ns.Recovery {
			ck.fail(where, "namespaces.recovery", true, "needs history: set history_size (recovery replays missed publications from it)")
		}
		subs := make([]string, 0, 4)
		for _, p := range subscribePolicies() {
			subs = append(subs, string(p))
		}
		ck.oneOf(where, "namespaces.subscribe", string(ns.Subscribe), subs)
		if ns.Subscribe == SubscribeUser && ns.Name == "" {
			ck.fail(where, "namespaces.subscribe", ns.Subscribe, "needs a namespace name: personal channels look like \"<name>:<user id>\"")
		}
		pubs := make([]string, 0, 4)
		for _, p := range publishPolicies() {
			pubs = append(pubs, string(p))
		}
		ck.oneOf(where, "namespaces.publish", string(ns.Publish), pubs)
		ck.atLeast(where, "namespaces.max_publication_bytes", int64(ns.MaxPublicationBytes), 1, ns.MaxPublicationBytes)
		ck.oneOf(where, "namespaces.delta", ns.Delta, []string{"", DeltaFossil})
		if ns.Delta != "" && ns.HistorySize == 0 {
			ck.fail(where, "namespaces.delta", ns.Delta, "needs history: set history_size (deltas chain publications by offset)")
		}
		c.rate(ck, where, "namespaces.publish_rate", "namespaces.publish_burst", ns.PublishRate, ns.PublishBurst)
		if ns.AppendOnly && ns.HistorySize == 0 {
			ck.fail(where, "namespaces.append_only", true, "needs history: set history_size (an append-only log is kept history)")
		}
	}
}

func (c *Config) validateCluster(ck *checker) {
	cl := c.Cluster
	for _, kv := range []struct{ key, v string }{{"cluster.listen", cl.Listen}, {"cluster.leaf_listen", cl.LeafListen}, {"cluster.advertise", cl.Advertise}} {
		if kv.v == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(kv.v); err != nil {
			ck.fail("", kv.key, kv.v, "must be host:port, such as \"0.0.0.0:6222\"")
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			ck.fail("", kv.key, kv.v, "port %q must be a number from 0 to 65535", port)
		}
	}
	for _, r := range cl.Routes {
		if u, err := url.Parse(r); err != nil || u.Scheme != "nats-route" || u.Host == "" {
			ck.fail("", "cluster.routes", r, "each route must be a nats-route://host:port URL")
		}
	}
	if len(cl.Routes) > 0 && cl.Listen == "" {
		ck.fail("", "cluster.routes", cl.Routes, "routes need cluster.listen (this node's own route address)")
	}
	if cl.PingInterval < Duration(100*time.Millisecond) || cl.PingInterval > Duration(30*time.Second) {
		ck.fail("", "cluster.ping_interval", cl.PingInterval, "must be from 100ms to 30s")
	}
	if cl.NodeTimeout < Duration(time.Second) {
		ck.fail("", "cluster.node_timeout", cl.NodeTimeout, "must be at least 1s")
	}
	if cl.Replicas < 0 || cl.Replicas > 5 {
		ck.fail("", "cluster.replicas", cl.Replicas, "must be 0 (automatic) to 5")
	}
	if cl.Edge != "" {
		if u, err := url.Parse(cl.Edge); err != nil || u.Scheme != "nats-leaf" || u.Host == "" {
			ck.fail("", "cluster.edge", cl.Edge, "must be the nats-leaf://host:port URL of a core node's leaf_listen")
		}
		if cl.Listen != "" || cl.LeafListen != "" {
			ck.fail("", "cluster.edge", cl.Edge, "an edge node cannot also take routes or edges: leave cluster.listen and cluster.leaf_listen empty")
		}
		if c.NATSURL != "" {
			ck.fail("", "cluster.edge", cl.Edge, "an edge runs its own leaf NATS server: leave nats_url empty")
		}
	}
	if c.NATSURL != "" && (cl.Listen != "" || cl.LeafListen != "") {
		ck.fail("", "cluster.listen", cl.Listen, "with nats_url the external NATS cluster does the clustering: leave cluster.listen and cluster.leaf_listen empty")
	}
}

// servesOthers reports whether the node is reachable by others: it listens
// on an address other than loopback, or sits on loopback behind a proxy
// (web.trusted_proxies, or an allowed origin that is not loopback).
func (c *Config) servesOthers() bool {
	if !c.Loopback() || len(c.Web.TrustedProxies) > 0 {
		return true
	}
	for _, o := range c.Web.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || !isLoopback(net.JoinHostPort(u.Hostname(), "0")) {
			return true
		}
	}
	return false
}

// placeholderPrefix starts every secret the documentation shows as an
// example ("replace-with-a-long-random-key").
const placeholderPrefix = "replace-with-"

// PlaceholderSecrets names the secrets (auth.keys.secret, api.key) still
// set to a documentation placeholder. Validate refuses them on an address
// that others reach (servesOthers); otherwise the server warns.
func (c *Config) PlaceholderSecrets() []string {
	var out []string
	for i, k := range c.Auth.Keys {
		if strings.HasPrefix(strings.ToLower(k.Secret), placeholderPrefix) {
			out = append(out, fmt.Sprintf("auth.keys entry %d: auth.keys.secret", i+1))
		}
	}
	if strings.HasPrefix(strings.ToLower(c.API.Key), placeholderPrefix) {
		out = append(out, "api.key")
	}
	return out
}
