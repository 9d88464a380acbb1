package config

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the Go structs")

const referencePath = "../../docs/configuration.md"

// exampleConfig opens the reference. TestConfigDoc checks that it loads.
const exampleConfig = `# liveroom.toml: a public node with its own secrets.
addr = "0.0.0.0:8080"
data_dir = "/var/lib/liveroom"
log_format = "json"

[engine]
sync_always = true          # fsync every write: survives power loss, slower

[auth]
issuer = "https://example.com"

[[auth.keys]]
id = "2025-01"
algorithm = "HS256"
secret = "replace-with-32-or-more-random-bytes"

[api]
key = "replace-with-a-long-random-key"

[client]
max_message_bytes = "128KiB" # or 131072

[[namespaces]]               # a new namespace: channels "talk:<id>"
name = "talk"
history_size = 200
history_ttl = "1h"
recovery = true
publish = "subscriber"
`

// TestConfigDoc fails when docs/configuration.md is not what the Go structs
// and the flag table produce; -update rewrites it.
func TestConfigDoc(t *testing.T) {
	got, err := renderReference(".")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referencePath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./internal/config -run TestConfigDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; re-record it with: go test ./internal/config -run TestConfigDoc -update", filepath.Base(referencePath))
	}
}

// The example, copied as it is onto its public address, does not start:
// its secrets are the documentation's placeholders. With real ones it
// loads.
func TestExampleConfigLoads(t *testing.T) {
	verbatim := writeFile(t, "liveroom.toml", exampleConfig)
	_, err := Load([]string{"--config", verbatim}, env{}.get)
	if err == nil || !strings.Contains(err.Error(), "auth.keys.secret: the placeholder from the documentation") ||
		!strings.Contains(err.Error(), "api.key: the placeholder from the documentation") {
		t.Fatalf("the example with its placeholder secrets on a public address: %v; want both refused", err)
	}
	// On loopback they are allowed (the server warns), unless the node is
	// behind a proxy: trusted proxies, or a public allowed origin.
	if _, err := Load([]string{"--config", verbatim, "--addr", "127.0.0.1:8080"}, env{}.get); err != nil {
		t.Fatalf("the example on loopback: %v", err)
	}
	for _, flag := range []string{"--allowed-origins=https://chat.example.com", "--allowed-origins=http://localhost:3000"} {
		_, err := Load([]string{"--config", verbatim, "--addr", "127.0.0.1:8080", flag}, env{}.get)
		if public := strings.Contains(flag, "example.com"); public != (err != nil) {
			t.Fatalf("the example on loopback with %s: %v; want refused only for a public origin", flag, err)
		}
	}
	behind := writeFile(t, "behind.toml", exampleConfig+"\n[web]\ntrusted_proxies = [\"127.0.0.1\"]\n")
	if _, err := Load([]string{"--config", behind, "--addr", "127.0.0.1:8080"}, env{}.get); err == nil || !strings.Contains(err.Error(), "placeholder") {
		t.Fatalf("the example on loopback behind a trusted proxy: %v; want its placeholder secrets refused", err)
	}
	real := strings.NewReplacer("replace-with-32-or-more-random-bytes", "0VdO6sZ4hqCwq1Xb8pD2uYkT7mN9rLfA",
		"replace-with-a-long-random-key", "k3P9xQ2mZ7vB4nW8").Replace(exampleConfig)
	path := writeFile(t, "liveroom.toml", real)
	cfg, err := Load([]string{"--config", path}, env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DemoEnabled() {
		t.Error("demo is on for the public example")
	}
}

// fieldDocs reads the doc comments of the struct fields of the package's
// Go files in dir, keyed "Type.Field".
func fieldDocs(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	docs := make(map[string]string)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, fld := range st.Fields.List {
				for _, id := range fld.Names {
					docs[ts.Name.Name+"."+id.Name] = strings.Join(strings.Fields(fld.Doc.Text()), " ")
				}
			}
			return false
		})
	}
	return docs, nil
}

// renderReference produces docs/configuration.md.
func renderReference(dir string) ([]byte, error) {
	docs, err := fieldDocs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := parse(exampleConfig); err != nil {
		return nil, fmt.Errorf("example config: %w", err)
	}
	r := &reference{docs: docs, flags: make(map[string]flagDef)}
	for _, d := range flagDefs() {
		if d.key != "" {
			r.flags[d.key] = d
		}
	}
	r.intro()
	r.flagTable()
	def := Default()
	r.section("Top level", "", "Keys outside any table.", reflect.ValueOf(*def), nil)
	if r.err != nil {
		return nil, r.err
	}
	r.builtinNamespaces(def)
	return []byte(r.b.String()), nil
}

type reference struct {
	b     strings.Builder
	docs  map[string]string
	flags map[string]flagDef // by TOML key
	err   error
}

func (r *reference) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func (r *reference) doc(owner reflect.Type, f reflect.StructField) string {
	d := r.docs[owner.Name()+"."+f.Name]
	if d == "" && r.err == nil {
		r.err = fmt.Errorf("field %s.%s has no doc comment; it is the reference text", owner.Name(), f.Name)
	}
	return d
}

func (r *reference) intro() {
	r.p("# Configuration\n\n")
	r.p("<!-- Generated from the Go structs of internal/config by\n     go test ./internal/config -run TestConfigDoc -update\n     Do not edit by hand. -->\n\n")
	r.p("liveroom needs no configuration: `liveroom` alone serves on 127.0.0.1:8080 with an embedded NATS\n")
	r.p("server under `./data`, generated secrets and the demo site. This page lists every setting.\n\n")
	r.p("```toml\n%s```\n\n", exampleConfig)
	r.p("Its secrets are placeholders: a node others reach (on an address other than loopback, or behind a\n")
	r.p("proxy: `web.trusted_proxies` or a public allowed origin) refuses to start with them (put random values\n")
	r.p("there, e.g. `openssl rand -base64 32`); otherwise it warns.\n\n")
	r.p("**Precedence:** flags > environment variables > config file > defaults. Each flag `--name` is also the\n")
	r.p("environment variable `LIVEROOM_NAME` (dashes become underscores); an empty variable counts as unset.\n")
	r.p("The config file is named by `--config` or `LIVEROOM_CONFIG`; there is none by default. Every key can be set\n")
	r.p("in the file; only the keys with a flag can be set by flag or environment. Any other `LIVEROOM_…`\n")
	r.p("variable sets nothing, and is named in a warning at start (a misspelt name, or a file-only key).\n\n")
	r.p("**Errors:** an unknown key is an error that names the key and its line (keys are case-sensitive), and every\n")
	r.p("invalid value is reported with its key and what is allowed, all at once; liveroom does not start until\n")
	r.p("they are fixed. Values that cannot be read at all (of the wrong TOML type, or a malformed duration or\n")
	r.p("size) are all reported with their lines, in the file's order, together with every unknown key; the\n")
	r.p("checks between values (such as `client.pong_timeout` against `client.ping_interval`) run once every\n")
	r.p("value can be read.\n\n")
	r.p("**Value types:**\n\n")
	r.p("- *duration*: a string with a unit: `\"500ms\"`, `\"25s\"`, `\"1h30m\"`, `\"24h\"` (units ns, us, ms, s, m, h). A bare number is refused.\n")
	r.p("- *size*: bytes, as an integer (`65536`) or a string with a binary unit (`\"64KiB\"`, `\"1MiB\"`; B, KiB, MiB, GiB, TiB). `\"MB\"` and the like are refused as ambiguous.\n")
	r.p("- Relative paths are relative to the working directory.\n\n")
}

func (r *reference) flagTable() {
	r.p("## Flags and environment variables\n\n")
	r.p("| Flag | Environment | Key | Default | Meaning |\n|---|---|---|---|---|\n")
	def := Default()
	for _, d := range flagDefs() {
		key := "—"
		if d.key != "" {
			key = "`" + d.key + "`"
		}
		r.p("| `--%s` | `%s` | %s | `%s` | %s |\n", d.name, d.env(), key, d.current(def), cell(d.usage))
	}
	r.p("\n")
	r.p("`GOMAXPROCS` (the Go runtime's, not liveroom's): liveroom uses the\n" +
		"runtime's value, by default the CPUs the process may use. The WebSocket\n" +
		"socket pollers (a quarter of it, at least 1) wait through the runtime's\n" +
		"network poller and need no CPU of their own (decision 0022). The startup\n" +
		"log line states `gomaxprocs` and `socket_pollers`.\n\n")
}

// section writes the table of the keys of struct value v at path, then the
// sections of its sub-tables.
func (r *reference) section(title, heading, intro string, v reflect.Value, path []string) {
	if heading != "" {
		title = "`" + heading + "`"
	}
	r.p("## %s\n\n%s\n\n", title, intro)
	r.p("| Key | Type | Default | Flag / environment | Description |\n|---|---|---|---|---|\n")
	t := v.Type()
	type sub struct {
		heading, intro string
		v              reflect.Value
		path           []string
	}
	var subs []sub
	for i := range t.NumField() {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" {
			continue
		}
		keyPath := append(append([]string(nil), path...), name)
		key := strings.Join(keyPath, ".")
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]():
			subs = append(subs, sub{"[" + key + "]", r.doc(t, f), v.Field(i), keyPath})
			continue
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			elem := reflect.New(f.Type.Elem()).Elem()
			if f.Type.Elem() == reflect.TypeFor[NamespaceConfig]() {
				elem = reflect.ValueOf(NamespaceDefaults(""))
			}
			subs = append(subs, sub{"[[" + key + "]]", r.doc(t, f), elem, keyPath})
			continue
		}
		via := "—"
		if d, ok := r.flags[key]; ok {
			via = fmt.Sprintf("`--%s`, `%s`", d.name, d.env())
		}
		r.p("| `%s` | %s | %s | %s | %s |\n", key, typeName(f.Type), defaultText(f, v.Field(i)), via, cell(r.doc(t, f)))
	}
	r.p("\n")
	for _, s := range subs {
		r.section("", s.heading, s.intro, s.v, s.path)
	}
}

func typeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "duration"
	case reflect.TypeFor[ByteSize]():
		return "size"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Int:
		return "integer"
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	}
	return t.Kind().String()
}

func defaultText(f reflect.StructField, v reflect.Value) string {
	if d := f.Tag.Get("docdefault"); d != "" {
		return d
	}
	switch x := v.Interface().(type) {
	case Duration:
		return "`" + strconv.Quote(x.String()) + "`"
	case ByteSize:
		if s := x.String(); s != strconv.FormatInt(int64(x), 10) {
			return fmt.Sprintf("`%d` (%s)", int64(x), s)
		}
		return fmt.Sprintf("`%d`", int64(x))
	}
	if v.Kind() == reflect.String {
		return "`" + strconv.Quote(v.String()) + "`"
	}
	if v.Kind() == reflect.Slice && v.Len() == 0 {
		return "`[]`"
	}
	return fmt.Sprintf("`%v`", v.Interface())
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

func (r *reference) builtinNamespaces(def *Config) {
	r.p("## Built-in namespaces\n\n")
	r.p("Every node has these namespaces. A `[[namespaces]]` entry with the same name replaces one entirely;\n")
	r.p("channels without `:` belong to the default namespace `\"\"`, which is closed unless configured.\n\n")
	t := reflect.TypeFor[NamespaceConfig]()
	var head, rule []string
	for i := range t.NumField() {
		head = append(head, tomlName(t.Field(i)))
		rule = append(rule, "---")
	}
	r.p("| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(rule, "|"))
	for _, ns := range def.Namespaces {
		v := reflect.ValueOf(ns)
		var cells []string
		for i := range t.NumField() {
			cells = append(cells, defaultText(reflect.StructField{}, v.Field(i)))
		}
		r.p("| %s |\n", strings.Join(cells, " | "))
	}
}
