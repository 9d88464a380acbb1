package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// EnvPrefix starts the name of every environment variable that mirrors a
// flag: --data-dir is LIVEROOM_DATA_DIR.
const EnvPrefix = "LIVEROOM_"

// flagDef is one command-line flag and its environment variable. The field
// function returns a pointer into a Config: *string, *bool, **bool, *int,
// *Duration, *ByteSize or *[]string (comma-separated).
type flagDef struct {
	name  string // flag name without dashes
	key   string // TOML key it overrides, "" when it is not a file key
	usage string
	field func(c *Config) any
}

// flagDefs is the table of flags. Adding a flag is adding a line here; its
// environment variable, help text and documentation follow.
func flagDefs() []flagDef {
	return []flagDef{
		{"addr", "addr", "address (host:port) to listen on", func(c *Config) any { return &c.Addr }},
		{"data-dir", "data_dir", "directory for the embedded NATS store and generated secrets", func(c *Config) any { return &c.DataDir }},
		{"nats-url", "nats_url", "external NATS URL; empty runs an embedded NATS server", func(c *Config) any { return &c.NATSURL }},
		{"config", "", "path of the TOML config file", func(c *Config) any { return &c.ConfigFile }},
		{"node-name", "node_name", "name of this node (unique in a cluster)", func(c *Config) any { return &c.NodeName }},
		{"cluster-listen", "cluster.listen", "host:port for NATS routes from the other nodes of the cluster", func(c *Config) any { return &c.Cluster.Listen }},
		{"routes", "cluster.routes", "comma-separated nats-route://host:port URLs of the cluster's nodes", func(c *Config) any { return &c.Cluster.Routes }},
		{"leaf-listen", "cluster.leaf_listen", "host:port where this core node accepts edge nodes", func(c *Config) any { return &c.Cluster.LeafListen }},
		{"edge", "cluster.edge", "nats-leaf://host:port of a core node: run this node as an edge", func(c *Config) any { return &c.Cluster.Edge }},
		{"debug-addr", "debug_addr", "address of the pprof debug listener; empty turns it off", func(c *Config) any { return &c.DebugAddr }},
		{"allowed-origins", "web.allowed_origins", "comma-separated browser origins allowed to connect (default: each request's own)", func(c *Config) any { return &c.Web.AllowedOrigins }},
		{"demo", "demo", "serve the demo site and POST /demo/token (default: on for a loopback addr)", func(c *Config) any { return &c.Demo }},
		{"log-level", "log_level", "least severe log level written: debug, info, warn or error", func(c *Config) any { return &c.LogLevel }},
	}
}

// UnknownEnv returns the names in environ (os.Environ's "NAME=value"
// entries) that start with EnvPrefix but set nothing: no flag has that
// variable, so a misspelt or file-only setting would be ignored without a
// word. LIVEROOM_CONFIG is known (it names the file).
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, d := range flagDefs() {
		known[d.env()] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			out = append(out, name)
		}
	}
	return out
}

// env returns the environment variable of a flag: LIVEROOM_DATA_DIR for
// data-dir.
func (d flagDef) env() string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(d.name, "-", "_"))
}

func (d flagDef) isBool() bool {
	switch d.field(Default()).(type) {
	case *bool, **bool:
		return true
	}
	return false
}

// set parses s into the field of d in c. Its errors say what was expected.
func (d flagDef) set(c *Config, s string) error {
	switch p := d.field(c).(type) {
	case *string:
		*p = s
	case *bool:
		v, err := parseBool(s)
		if err != nil {
			return err
		}
		*p = v
	case **bool:
		v, err := parseBool(s)
		if err != nil {
			return err
		}
		*p = &v
	case *int:
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("invalid integer %q", s)
		}
		*p = v
	case *Duration:
		return p.UnmarshalText([]byte(s))
	case *ByteSize:
		return p.UnmarshalText([]byte(s))
	case *[]string:
		var list []string
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		*p = list
	default:
		return fmt.Errorf("flag --%s: unsupported field type %T", d.name, p)
	}
	return nil
}

// current formats the value of d's field in c for help text.
func (d flagDef) current(c *Config) string {
	switch p := d.field(c).(type) {
	case *string:
		return strconv.Quote(*p)
	case **bool:
		if *p == nil {
			return "auto"
		}
		return strconv.FormatBool(**p)
	case *[]string:
		return strconv.Quote(strings.Join(*p, ","))
	case *bool:
		return strconv.FormatBool(*p)
	case *int:
		return strconv.Itoa(*p)
	case fmt.Stringer:
		return strconv.Quote(p.String())
	}
	return ""
}

func parseBool(s string) (bool, error) {
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("invalid boolean %q: use true or false", s)
	}
	return v, nil
}

// flagValue is the flag.Value of one flagDef. Set checks the syntax at once
// (so the flag package reports a bad value with its flag) and keeps the raw
// text; Load applies it after the file and the environment.
type flagValue struct {
	def  flagDef
	raw  string
	seen bool
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	return v.raw
}

func (v *flagValue) Set(s string) error {
	if err := v.def.set(Default(), s); err != nil {
		return err
	}
	v.raw, v.seen = s, true
	return nil
}

// IsBoolFlag lets boolean flags be given without a value (--demo).
func (v *flagValue) IsBoolFlag() bool { return v.def.isBool() }

// WriteUsage writes the help text for the flags: each flag with its
// environment variable, config file key and default. Callers print it when
// Load returns an error that wraps flag.ErrHelp.
func WriteUsage(w io.Writer) error {
	var b strings.Builder
	b.WriteString("Usage: liveroom [flags]\n\n")
	b.WriteString("Precedence: flags > environment > config file > defaults.\n\nFlags:\n")
	def := Default()
	for _, d := range flagDefs() {
		arg := " value"
		if d.isBool() {
			arg = ""
		}
		fmt.Fprintf(&b, "  --%s%s\n    \t%s\n    \tenv %s", d.name, arg, d.usage, d.env())
		if d.key != "" {
			fmt.Fprintf(&b, ", file key %s", d.key)
		}
		fmt.Fprintf(&b, ", default %s\n", d.current(def))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
