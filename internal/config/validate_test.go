package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080":         true,
		"127.1.2.3:80":           true,
		"[::1]:8080":             true,
		"localhost:8080":         true,
		"LocalHost:0":            true,
		"[::ffff:127.0.0.1]:80":  true,
		"0.0.0.0:8080":           false,
		":8080":                  false,
		"[::]:8080":              false,
		"192.168.1.10:8080":      false,
		"example.com:443":        false,
		"localhost.example:8080": false,
		"not an address":         false,
	} {
		c := &Config{Addr: addr}
		if got := c.Loopback(); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestDemoAuto(t *testing.T) {
	on, off := true, false
	for _, tc := range []struct {
		addr     string
		demo     *bool
		enabled  bool
		explicit bool
	}{
		{"127.0.0.1:8080", nil, true, false},
		{"[::1]:8080", nil, true, false},
		{"0.0.0.0:8080", nil, false, false},
		{":8080", nil, false, false},
		{"127.0.0.1:8080", &off, false, true},
		{"0.0.0.0:8080", &on, true, true},
		{"0.0.0.0:8080", &off, false, true},
	} {
		c := Default()
		c.Addr, c.Demo = tc.addr, tc.demo
		if c.DemoEnabled() != tc.enabled || c.DemoExplicit() != tc.explicit {
			t.Errorf("addr %s, demo %v: enabled %v explicit %v, want %v %v",
				tc.addr, tc.demo, c.DemoEnabled(), c.DemoExplicit(), tc.enabled, tc.explicit)
		}
	}
}

// TestDemoAutoThroughLoad checks that the automatic demo follows the final
// address, whichever level set it, and that a demo set at any level sticks.
func TestDemoAutoThroughLoad(t *testing.T) {
	secrets := writeFile(t, "secrets.toml", `
[api]
key = "0123456789abcdef-api"
[[auth.keys]]
algorithm = "HS256"
secret = "0123456789abcdef0123456789abcdef"
`)
	withDemo := writeFile(t, "demo.toml", "demo = true\n[api]\nkey = \"0123456789abcdef-api\"\n[[auth.keys]]\nalgorithm = \"HS256\"\nsecret = \"0123456789abcdef0123456789abcdef\"\n")
	for _, tc := range []struct {
		name              string
		args              []string
		env               env
		enabled, explicit bool
	}{
		{"loopback default", nil, env{}, true, false},
		{"public by flag", []string{"--config", secrets, "--addr", "0.0.0.0:8080"}, env{}, false, false},
		{"public by env", []string{"--config", secrets}, env{"LIVEROOM_ADDR": ":8080"}, false, false},
		{"public, demo by env", []string{"--config", secrets, "--addr", "0.0.0.0:8080"}, env{"LIVEROOM_DEMO": "true"}, true, true},
		{"public, demo by flag", []string{"--config", secrets, "--addr", "0.0.0.0:8080", "--demo"}, env{}, true, true},
		{"public, demo in file", []string{"--config", withDemo, "--addr", "0.0.0.0:8080"}, env{}, true, true},
		{"loopback, demo off by env", nil, env{"LIVEROOM_DEMO": "false"}, false, true},
	} {
		cfg, err := Load(tc.args, tc.env.get)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.DemoEnabled() != tc.enabled || cfg.DemoExplicit() != tc.explicit {
			t.Errorf("%s: enabled %v explicit %v, want %v %v", tc.name, cfg.DemoEnabled(), cfg.DemoExplicit(), tc.enabled, tc.explicit)
		}
	}
}

func TestPublicAddressNeedsSecrets(t *testing.T) {
	key := AuthKey{Algorithm: AlgHS256, Secret: strings.Repeat("s", 32)}
	const apiKey = "0123456789abcdef"
	on := true
	for _, tc := range []struct {
		name   string
		addr   string
		keys   []AuthKey
		apiKey string
		demo   *bool
		want   string // "" = valid
	}{
		{"loopback needs nothing", "127.0.0.1:8080", nil, "", nil, ""},
		{"public without both", "0.0.0.0:8080", nil, "", nil,
			"listening on 0.0.0.0:8080 requires auth.keys and api.key to be set in the config file: generated secrets are only used on loopback"},
		{"public without api key", "0.0.0.0:8080", []AuthKey{key}, "", nil,
			"listening on 0.0.0.0:8080 requires auth.keys and api.key to be set in the config file (api.key is not set): generated secrets are only used on loopback"},
		{"public without keys", "10.0.0.5:80", nil, apiKey, nil,
			"listening on 10.0.0.5:80 requires auth.keys and api.key to be set in the config file (auth.keys is not set)"},
		{"all interfaces", ":8080", nil, "", nil, "listening on :8080 (all interfaces) requires auth.keys and api.key"},
		{"explicit demo does not excuse secrets", "0.0.0.0:8080", nil, "", &on, "requires auth.keys and api.key"},
		{"public with both", "0.0.0.0:8080", []AuthKey{key}, apiKey, nil, ""},
		{"public with both and demo", "0.0.0.0:8080", []AuthKey{key}, apiKey, &on, ""},
	} {
		c := Default()
		c.Addr, c.Auth.Keys, c.API.Key, c.Demo = tc.addr, tc.keys, tc.apiKey, tc.demo
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v\nwant error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestValidateRules breaks one rule at a time and checks the message names
// the key, the value and what is allowed.
func TestValidateRules(t *testing.T) {
	sec := func(s int) Duration { return Duration(time.Duration(s) * time.Second) }
	hs := func(secret string) AuthKey { return AuthKey{Algorithm: AlgHS256, Secret: secret} }
	long := strings.Repeat("k", 32)
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"addr", func(c *Config) { c.Addr = "8080" }, `addr = "8080": must be host:port`},
		{"addr port", func(c *Config) { c.Addr = "127.0.0.1:99999" }, `addr = "127.0.0.1:99999": port "99999" must be a number from 0 to 65535`},
		{"data_dir", func(c *Config) { c.DataDir = "" }, `data_dir = "": must name a directory`},
		{"nats_url scheme", func(c *Config) { c.NATSURL = "nats://a:4222,http://b:80" }, `nats_url: URL 2 has scheme "http"; use nats, tls, ws or wss`},
		{"nats_url host", func(c *Config) { c.NATSURL = "localhost:4222" }, `nats_url: URL 1 is not of the form nats://host:4222`},
		{"nats_url secret hidden", func(c *Config) { c.NATSURL = "http://user:hunter2@b" }, `nats_url: URL 1 has scheme "http"`},
		{"node_name", func(c *Config) { c.NodeName = "my node" }, `node_name = "my node": must be 1 to 64 letters, digits, '.', '_' or '-'`},
		{"log_level", func(c *Config) { c.LogLevel = "verbose" }, `log_level = "verbose": must be one of "debug", "info", "warn", "error"`},
		{"log_format", func(c *Config) { c.LogFormat = "xml" }, `log_format = "xml": must be one of "text", "json"`},
		{"engine size", func(c *Config) { c.Engine.MaxMemoryBytes = -1 }, `engine.max_memory_bytes = -1: must not be negative`},
		{"max_token_bytes", func(c *Config) { c.Auth.MaxTokenBytes = 0 }, `auth.max_token_bytes = 0: must be at least 1`},
		{"leeway", func(c *Config) { c.Auth.Leeway = -1 }, `auth.leeway = "-1ns": must not be negative`},
		{"algorithm", func(c *Config) { c.Auth.Keys = []AuthKey{{Algorithm: "hs256"}} },
			`auth.keys entry 1: auth.keys.algorithm = "hs256": must be one of "HS256", "RS256", "EdDSA"`},
		{"short secret", func(c *Config) { c.Auth.Keys = []AuthKey{hs("tiny")} },
			"auth.keys entry 1: auth.keys.secret: HS256 needs a secret of at least 32 bytes (it has 4)"},
		{"HS256 with file", func(c *Config) { k := hs(long); k.PublicKeyFile = "k.pem"; c.Auth.Keys = []AuthKey{k} },
			"auth.keys.public_key_file: HS256 uses secret only"},
		{"RS256 without file", func(c *Config) { c.Auth.Keys = []AuthKey{{Algorithm: AlgRS256}} },
			"auth.keys.public_key_file: RS256 needs the path of a PEM public key file"},
		{"EdDSA with secret", func(c *Config) { c.Auth.Keys = []AuthKey{{Algorithm: AlgEdDSA, PublicKeyFile: "k.pem", Secret: long}} },
			"auth.keys.secret: only HS256 uses a secret; EdDSA uses public_key_file"},
		{"ids needed", func(c *Config) { k := hs(long); k.ID = "a"; c.Auth.Keys = []AuthKey{k, hs(long)} },
			`auth.keys entry 2: auth.keys.id: required when there are several keys`},
		{"ids unique", func(c *Config) { k := hs(long); k.ID = "a"; c.Auth.Keys = []AuthKey{k, k} },
			`auth.keys entry 2 (id "a"): auth.keys.id = "a": already used by entry 1`},
		{"api key", func(c *Config) { c.API.Key = "short" }, "api.key: must be at least 16 characters (it has 5)"},
		{"ping", func(c *Config) { c.Client.PingInterval = 0 }, `client.ping_interval = "0s": must be longer than 0s`},
		{"pong", func(c *Config) { c.Client.PongTimeout = sec(30) }, `client.pong_timeout = "30s": must be less than client.ping_interval (25s)`},
		{"connect timeout", func(c *Config) { c.Client.ConnectTimeout = 0 }, `client.connect_timeout = "0s": must be longer than 0s`},
		{"write timeout", func(c *Config) { c.Client.WriteTimeout = 0 }, `client.write_timeout = "0s"`},
		{"handshake timeout", func(c *Config) { c.Client.HandshakeTimeout = 0 }, `client.handshake_timeout = "0s"`},
		{"frame timeout", func(c *Config) { c.Client.FrameTimeout = 0 }, `client.frame_timeout = "0s"`},
		{"message vs token", func(c *Config) { c.Client.MaxMessageBytes = 4096 },
			"client.max_message_bytes = 4096: must be more than auth.max_token_bytes (8192)"},
		{"queue vs message", func(c *Config) { c.Client.QueueMaxBytes = 1000 },
			"client.queue_max_bytes = 1000: must be at least client.max_message_bytes (65536)"},
		{"subscriptions", func(c *Config) { c.Client.MaxSubscriptions = 0 }, "client.max_subscriptions = 0: must be at least 1"},
		{"command burst", func(c *Config) { c.Client.CommandsBurst = 0 },
			"client.commands_burst = 0: must be at least 1 when client.commands_per_second is set (100 per second)"},
		{"command rate", func(c *Config) { c.Client.CommandsPerSecond = -5 }, "client.commands_per_second = -5: must not be negative"},
		{"per user", func(c *Config) { c.Client.MaxConnectionsPerUser = -1 }, "client.max_connections_per_user = -1: must not be negative"},
		{"accept burst", func(c *Config) { c.Client.AcceptBurst = 0 }, "client.accept_burst = 0: must be at least 1 when client.accept_rate is set"},
		{"header bytes", func(c *Config) { c.Client.MaxHeaderBytes = 100 }, "client.max_header_bytes = 100: must be at least 1024"},
		{"presence ttl", func(c *Config) { c.Presence.TTL = Duration(time.Millisecond) }, `presence.ttl = "1ms": must be at least 1s`},
		{"presence list", func(c *Config) { c.Presence.MaxList = 0 }, "presence.max_list = 0: must be at least 1"},
		{"shutdown", func(c *Config) { c.Shutdown.Timeout = sec(2) }, `shutdown.timeout = "2s": must be at least shutdown.drain_window (5s)`},
		{"namespace name", func(c *Config) { c.Namespaces = append(c.Namespaces, NamespaceDefaults("Chat")) },
			`namespace "Chat": namespaces.name = "Chat": must be 1 to 32 of a-z, 0-9, '_' and '-'`},
		{"namespace name length", func(c *Config) { c.Namespaces = append(c.Namespaces, NamespaceDefaults(strings.Repeat("a", 33))) },
			`must be 1 to 32 of a-z`},
		{"subscribe", func(c *Config) { c.Namespaces[1].Subscribe = "everyone" },
			`namespace "room": namespaces.subscribe = "everyone": must be one of "anonymous", "authenticated", "token", "user"`},
		{"publish", func(c *Config) { c.Namespaces[1].Publish = "all" },
			`namespace "room": namespaces.publish = "all": must be one of "none", "authenticated", "subscriber", "anonymous"`},
		{"user needs name", func(c *Config) { c.Namespaces[0].Subscribe = SubscribeUser },
			`namespace "": namespaces.subscribe = "user": needs a namespace name`},
		{"recovery needs history", func(c *Config) { c.Namespaces[2].Recovery = true },
			`namespace "reactions": namespaces.recovery = true: needs history: set history_size`},
		{"ttl needs history", func(c *Config) { c.Namespaces[2].HistoryTTL = sec(60) },
			`namespace "reactions": namespaces.history_ttl = "1m": has no effect without history`},
		{"history size", func(c *Config) { c.Namespaces[1].HistorySize = -1 }, `namespace "room": namespaces.history_size = -1: must not be negative`},
		{"publication bytes", func(c *Config) { c.Namespaces[1].MaxPublicationBytes = 0 }, `namespaces.max_publication_bytes = 0: must be at least 1`},
		{"publish burst", func(c *Config) { c.Namespaces[2].PublishBurst = 0 },
			`namespace "reactions": namespaces.publish_burst = 0: must be at least 1 when namespaces.publish_rate is set (10 per second)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant error containing %s", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a password: %v", err)
			}
		})
	}
}

func TestValidateSecretsNotEchoed(t *testing.T) {
	c := Default()
	c.API.Key = "tooshort!"
	c.Auth.Keys = []AuthKey{{Algorithm: AlgHS256, Secret: "my-little-secret"}}
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, s := range []string{"tooshort!", "my-little-secret"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error echoes secret %q: %v", s, err)
		}
	}
}

func TestValidateCollectsAll(t *testing.T) {
	c := Default()
	c.LogLevel = "loud"
	c.Client.PingInterval = 0
	c.Presence.MaxList = 0
	c.Namespaces[1].Subscribe = "x"
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	// ping_interval 0 also breaks pong_timeout < ping_interval.
	for _, want := range []string{"log_level", "client.ping_interval", "client.pong_timeout", "presence.max_list", "namespaces.subscribe"} {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, want)
		}
		if !found {
			t.Errorf("no error for %s in:\n%v", want, err)
		}
	}
	if len(lines) != 5 {
		t.Errorf("got %d errors, want 5:\n%v", len(lines), err)
	}
}
