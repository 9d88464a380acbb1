package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// env is a hermetic environment for Load.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// writeFile writes a config file into a fresh temporary directory.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// precedenceCase gives, for one flag, a distinct value at each level and how
// to read the result back.
type precedenceCase struct {
	file, env, flag string // as written in TOML, in the environment, on the command line
	read            func(c *Config) string
	// fileWant is what read returns for the file level when it differs
	// from file without quotes (lists).
	fileWant string
	// needs holds environment variables every level sets, for flags that
	// are valid only together with another key.
	needs env
}

func precedenceCases() map[string]precedenceCase {
	demo := func(c *Config) string {
		if c.Demo == nil {
			return "auto"
		}
		return fmt.Sprint(*c.Demo)
	}
	return map[string]precedenceCase{
		"addr":     {`"127.0.0.2:1001"`, "127.0.0.3:1002", "127.0.0.4:1003", func(c *Config) string { return c.Addr }, "", nil},
		"data-dir": {`"file-dir"`, "env-dir", "flag-dir", func(c *Config) string { return c.DataDir }, "", nil},
		"nats-url": {`"nats://file:4222"`, "nats://env:4222", "nats://flag:4222", func(c *Config) string { return c.NATSURL }, "", nil},
		"demo":     {`false`, "true", "false", demo, "", nil},
		"node-name": {`"file-node"`, "env-node", "flag-node", func(c *Config) string {
			if h, _ := os.Hostname(); c.NodeName == h {
				return "" // Load fills in the host name when none is given
			}
			return c.NodeName
		}, "", nil},
		"cluster-listen": {`"127.0.0.1:7001"`, "127.0.0.1:7002", "127.0.0.1:7003", func(c *Config) string { return c.Cluster.Listen }, "", nil},
		"routes": {`["nats-route://127.0.0.1:7001"]`, "nats-route://127.0.0.1:7002", "nats-route://127.0.0.1:7003",
			func(c *Config) string { return strings.Join(c.Cluster.Routes, ",") },
			"nats-route://127.0.0.1:7001", env{"LIVEROOM_CLUSTER_LISTEN": "127.0.0.1:7000"}},
		"leaf-listen": {`"127.0.0.1:7101"`, "127.0.0.1:7102", "127.0.0.1:7103", func(c *Config) string { return c.Cluster.LeafListen }, "", nil},
		"edge":        {`"nats-leaf://127.0.0.1:7201"`, "nats-leaf://127.0.0.1:7202", "nats-leaf://127.0.0.1:7203", func(c *Config) string { return c.Cluster.Edge }, "", nil},
		"debug-addr":  {`"127.0.0.1:6061"`, "127.0.0.1:6062", "127.0.0.1:6063", func(c *Config) string { return c.DebugAddr }, "", nil},
		"allowed-origins": {`["https://file.example"]`, "https://env.example", "https://flag.example,https://two.example",
			func(c *Config) string { return strings.Join(c.Web.AllowedOrigins, ",") }, "https://file.example", nil},
		"log-level": {`"debug"`, "warn", "error", func(c *Config) string { return c.LogLevel }, "", nil},
		"config":    {}, // tested by TestLoadConfigPath
	}
}

// TestLoadPrecedence checks, for each flag, that every level overrides the
// one below it: defaults < file < environment < flag.
func TestLoadPrecedence(t *testing.T) {
	cases := precedenceCases()
	for _, d := range flagDefs() {
		tc, ok := cases[d.name]
		if !ok {
			t.Errorf("flag --%s has no precedence case: add one to precedenceCases", d.name)
			continue
		}
		if d.key == "" {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			path := writeFile(t, "liveroom.toml", fmt.Sprintf("%s = %s\n", d.key, tc.file))
			def := Default()
			fileWant := strings.Trim(tc.file, `"`)
			if tc.fileWant != "" {
				fileWant = tc.fileWant
			}
			with := func(e env) env {
				out := env{}
				for k, v := range tc.needs {
					out[k] = v
				}
				for k, v := range e {
					out[k] = v
				}
				return out
			}
			levels := []struct {
				name string
				args []string
				env  env
				want string
			}{
				{"default", nil, with(env{}), tc.read(def)},
				{"file", []string{"--config", path}, with(env{}), fileWant},
				{"env", []string{"--config", path}, with(env{d.env(): tc.env}), tc.env},
				{"flag", []string{"--config", path, "--" + d.name + "=" + tc.flag}, with(env{d.env(): tc.env}), tc.flag},
				{"flag without file", []string{"--" + d.name + "=" + tc.flag}, with(env{d.env(): tc.env}), tc.flag},
				{"env without file", nil, with(env{d.env(): tc.env}), tc.env},
			}
			for i, lv := range levels {
				if i > 0 && lv.want == levels[0].want {
					t.Fatalf("level %s: test value %q equals the default, so it proves nothing", lv.name, lv.want)
				}
				cfg, err := Load(lv.args, lv.env.get)
				if err != nil {
					t.Fatalf("level %s: %v", lv.name, err)
				}
				if got := tc.read(cfg); got != lv.want {
					t.Errorf("level %s: got %q, want %q", lv.name, got, lv.want)
				}
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	want := map[string]string{
		"addr":     "LIVEROOM_ADDR",
		"data-dir": "LIVEROOM_DATA_DIR",
		"nats-url": "LIVEROOM_NATS_URL",
		"config":   "LIVEROOM_CONFIG",
		"demo":     "LIVEROOM_DEMO",
	}
	for _, d := range flagDefs() {
		if w, ok := want[d.name]; ok && d.env() != w {
			t.Errorf("flag --%s: env %s, want %s", d.name, d.env(), w)
		}
	}
}

// TestFlagKeysExist guards the flag table: a flag's key must be a real key
// of the file, of the same Go field.
func TestFlagKeysExist(t *testing.T) {
	keys := make(map[string]bool)
	for _, sk := range schemaKeys(reflect.TypeFor[Config](), nil) {
		keys[strings.Join(sk.path, ".")] = true
	}
	for _, d := range flagDefs() {
		if d.key != "" && !keys[d.key] {
			t.Errorf("flag --%s names key %q, which the config file does not have", d.name, d.key)
		}
	}
}

func TestLoadConfigPath(t *testing.T) {
	fromEnv := writeFile(t, "env.toml", `data_dir = "from-env-file"`)
	fromFlag := writeFile(t, "flag.toml", `data_dir = "from-flag-file"`)

	cfg, err := Load(nil, env{"LIVEROOM_CONFIG": fromEnv}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "from-env-file" || cfg.ConfigFile != fromEnv {
		t.Errorf("config from env: data_dir %q, ConfigFile %q", cfg.DataDir, cfg.ConfigFile)
	}

	cfg, err = Load([]string{"-config", fromFlag}, env{"LIVEROOM_CONFIG": fromEnv}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "from-flag-file" || cfg.ConfigFile != fromFlag {
		t.Errorf("config from flag: data_dir %q, ConfigFile %q", cfg.DataDir, cfg.ConfigFile)
	}

	cfg, err = Load(nil, env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConfigFile != "" || cfg.DataDir != "./data" {
		t.Errorf("no config: ConfigFile %q, data_dir %q", cfg.ConfigFile, cfg.DataDir)
	}

	_, err = Load([]string{"--config", filepath.Join(t.TempDir(), "missing.toml")}, env{}.get)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestLoadDemoFlagForms(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--demo"}, true},
		{[]string{"-demo"}, true},
		{[]string{"--demo=false"}, false},
		{[]string{"--demo=true"}, true},
	} {
		cfg, err := Load(tc.args, env{"LIVEROOM_DEMO": "0"}.get)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !cfg.DemoExplicit() || cfg.DemoEnabled() != tc.want {
			t.Errorf("%v: explicit %v, enabled %v; want explicit, %v", tc.args, cfg.DemoExplicit(), cfg.DemoEnabled(), tc.want)
		}
	}
}

func TestLoadCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  env
		want string
	}{
		{[]string{"--demo=maybe"}, env{}, `invalid boolean value "maybe" for -demo`},
		{[]string{"--nope"}, env{}, "flag provided but not defined: -nope"},
		{[]string{"serve"}, env{}, `unexpected argument "serve"`},
		{[]string{"--addr"}, env{}, "flag needs an argument: -addr"},
		{nil, env{"LIVEROOM_DEMO": "maybe"}, `environment variable LIVEROOM_DEMO: invalid boolean "maybe": use true or false`},
		{nil, env{"LIVEROOM_ADDR": "nowhere"}, `addr = "nowhere": must be host:port`},
		{[]string{"--addr", "127.0.0.1:http"}, env{}, `port "http" must be a number`},
	} {
		_, err := Load(tc.args, tc.env.get)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q, %v) = %v, want error containing %q", tc.args, tc.env, err, tc.want)
		}
	}

	_, err := Load([]string{"-h"}, env{}.get)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v, want an error wrapping flag.ErrHelp", err)
	}
}

func TestLoadFillsNodeName(t *testing.T) {
	cfg, err := Load(nil, env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err == nil && cfg.NodeName != host {
		t.Errorf("node_name %q, want the host name %q", cfg.NodeName, host)
	}
	path := writeFile(t, "n.toml", `node_name = "edge-1"`)
	cfg, err = Load([]string{"--config", path}, env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NodeName != "edge-1" {
		t.Errorf("node_name %q, want edge-1", cfg.NodeName)
	}
}

func TestWriteUsage(t *testing.T) {
	var b strings.Builder
	if err := WriteUsage(&b); err != nil {
		t.Fatal(err)
	}
	for _, d := range flagDefs() {
		if !strings.Contains(b.String(), "--"+d.name) || !strings.Contains(b.String(), d.env()) {
			t.Errorf("usage lacks --%s or %s:\n%s", d.name, d.env(), b.String())
		}
	}
}

func TestUnknownEnvNamesOnlyWhatSetsNothing(t *testing.T) {
	got := UnknownEnv([]string{"LIVEROOM_ADDR=x", "LIVEROOM_CONFIG=f", "LIVEROOM_LOG_LEVEL=debug", "LIVEROOM_CLIENT_PING_INTERVAL=5s",
		"LIVEROOM_ADRR=typo", "PATH=/bin", "LIVEROOM_=", "liveroom_addr=lower"})
	want := []string{"LIVEROOM_CLIENT_PING_INTERVAL", "LIVEROOM_ADRR", "LIVEROOM_"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("UnknownEnv: %q; want %q", got, want)
	}
}
