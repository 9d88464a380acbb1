package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// parse applies a config file to the defaults without validating.
func parse(src string) (*Config, error) {
	cfg := Default()
	if err := parseFile(cfg, []byte(src)); err != nil {
		return nil, err
	}
	return cfg, nil
}

func keyErrors(err error) []*KeyError {
	var out []*KeyError
	var walk func(error)
	walk = func(err error) {
		var ke *KeyError
		if errors.As(err, &ke) && ke == err {
			out = append(out, ke)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		} else if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

func TestUnknownKeys(t *testing.T) {
	type want struct {
		key  string
		line int
		text string
	}
	for _, tc := range []struct {
		name string
		src  string
		want []want
	}{
		{"top level and table", "addr = \"127.0.0.1:1\"\nbogus = 1\n\n[client]\nping_intervall = \"3s\"\n", []want{
			{"bogus", 2, `line 2: unknown key "bogus"`},
			{"client.ping_intervall", 5, `line 5: unknown key "client.ping_intervall" (did you mean "client.ping_interval"?)`},
		}},
		{"unknown table reported once", "# comment\n[clients]\nping_interval = \"3s\"\nmax = 3\n", []want{
			{"clients", 2, `line 2: unknown key "clients" (did you mean "client"?)`},
		}},
		{"dotted key", "client.ping_interval = \"3s\"\nclient.pong = \"1s\"\n", []want{
			{"client.pong", 2, `unknown key "client.pong"`},
		}},
		{"key in the wrong table", "log_level = \"info\"\nping_interval = \"5s\"\n", []want{
			{"ping_interval", 2, `unknown key "ping_interval" (did you mean "client.ping_interval"?)`},
		}},
		{"array of tables", "[[namespaces]]\nname = \"a\"\n\n[[namespaces]]\nname = \"b\"\nhistory = 10\n", []want{
			{"namespaces.history", 6, `unknown key "namespaces.history"`},
		}},
		{"inline table in array", "namespaces = [\n  {name = \"a\", presense = true},\n]\n", []want{
			{"namespaces.presense", 2, `unknown key "namespaces.presense" (did you mean "namespaces.presence"?)`},
		}},
		{"auth key entry", "[[auth.keys]]\nalgorithm = \"HS256\"\nsecrett = \"x\"\n", []want{
			{"auth.keys.secrett", 3, `(did you mean "auth.keys.secret"?)`},
		}},
		{"wrong case", "Addr = \"127.0.0.1:9\"\n[Client]\nping_interval = \"5s\"\n", []want{
			{"Addr", 1, `key "Addr" must be written "addr": keys are case-sensitive`},
			{"Client", 2, `key "Client" must be written "client"`},
			{"Client.ping_interval", 3, `key "Client.ping_interval" must be written "client.ping_interval"`},
		}},
		{"quoted key", "\"odd key\" = 1\n", []want{
			{`"odd key"`, 1, `unknown key "\"odd key\""`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.src)
			got := keyErrors(err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d key errors, want %d: %v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				if got[i].Key != w.key || got[i].Line != w.line || !strings.Contains(got[i].Error(), w.text) {
					t.Errorf("error %d = {Key %q, Line %d, %q}, want {Key %q, Line %d, containing %q}",
						i, got[i].Key, got[i].Line, got[i].Error(), w.key, w.line, w.text)
				}
			}
		})
	}
}

func TestLoadUnknownKeyNamesFile(t *testing.T) {
	path := writeFile(t, "liveroom.toml", "[presence]\nttl = \"30s\"\nmax_lst = 10\n")
	_, err := Load([]string{"--config", path}, env{}.get)
	want := "config file " + path + ": line 3: unknown key \"presence.max_lst\" (did you mean \"presence.max_list\"?)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestBadValues(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"duration without unit", "[client]\nping_interval = 25\n",
			`line 2: key "client.ping_interval": invalid duration "25": give a unit, as in "25s"`},
		{"duration garbage", "[shutdown]\ntimeout = \"soon\"\n",
			`line 2: key "shutdown.timeout": invalid duration "soon"`},
		{"negative duration", "[auth]\nleeway = \"-1s\"\n", `invalid duration "-1s": must not be negative`},
		{"ambiguous size", "[client]\nmax_message_bytes = \"1MB\"\n",
			`line 2: key "client.max_message_bytes": invalid size "1MB": "MB" is ambiguous; write "1MiB"`},
		{"fractional size", "[engine]\nmax_storage_bytes = 1.5\n", `sizes are whole numbers of bytes`},
		{"negative size", "[client]\nqueue_max_bytes = -1\n", `invalid size "-1": must not be negative`},
		{"bool as string", "demo = \"yes\"\n", `line 1: key "demo" must be a TOML boolean; got a string`},
		{"int as string", "[client]\nmax_subscriptions = \"10\"\n", `line 2: key "client.max_subscriptions" must be a TOML integer; got a string`},
		{"table for array of tables", "[auth.keys]\nid = \"a\"\n", `auth.keys holds a list of entries: write [[auth.keys]] before each one`},
		{"namespace duration", "[[namespaces]]\nname = \"chat\"\nhistory_ttl = \"1 day\"\n",
			`line 3: namespaces entry 1 (name "chat"): key "namespaces.history_ttl": invalid duration "1 day"`},
		{"namespace without name", "[[namespaces]]\nhistory_size = 5\n",
			`namespaces entry 1: missing key "name" (write name = "" for the default namespace)`},
		{"syntax", "addr = \n", `line 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant error containing %s", err, tc.want)
			}
		})
	}
}

// A value of the wrong type stops the decoder; the unknown keys of the
// file are still reported with it, each with its line, so one run shows
// every key to fix.
func TestTypeErrorStillReportsUnknownKeys(t *testing.T) {
	src := "foo = 1\ndemo = \"yes\"\n[client]\nping_intervall = \"1s\"\n[[namespaces]]\nname = \"x\"\nhistroy = 3\n"
	_, err := parse(src)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`line 2: key "demo" must be a TOML boolean; got a string`,
		`line 1: unknown key "foo"`,
		`line 4: unknown key "client.ping_intervall" (did you mean "client.ping_interval"?)`,
		`line 7: namespaces entry 1: unknown key "namespaces.histroy"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// An unknown key written in several entries of an array of tables is
// reported at each of its lines (the decoder knows only the last).
func TestUnknownKeyInEveryEntryIsReportedAtEachLine(t *testing.T) {
	src := "[[namespaces]]\nname = \"a\"\nextra = 1\n[[namespaces]]\nname = \"b\"\n[[namespaces]]\nname = \"c\"\nextra = 3\n"
	_, err := parse(src)
	var lines []int
	for _, ke := range keyErrors(err) {
		if ke.Key == "namespaces.extra" {
			lines = append(lines, ke.Line)
		}
	}
	if fmt.Sprint(lines) != "[3 8]" {
		t.Fatalf("namespaces.extra reported at lines %v; want [3 8]\n%v", lines, err)
	}
}

// Every unreadable value is reported in one run, in the file's order and
// in TOML's terms, with the unknown keys, also inside [[namespaces]], each
// at its own entry's line; the decoder itself stops at the first one it
// meets, in no fixed order, and gives a key in an array of tables the line
// of its last entry.
func TestEveryUnreadableValueIsReportedAtOnce(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{
			"addr = 5\nclient = 7\nzzz = 1\n[[namespaces]]\nname = \"talk\"\nhistory_size = \"200\"\ncolour = \"red\"\n[presence]\nttl = true\n",
			strings.Join([]string{
				`line 1: key "addr" must be a TOML string; got an integer`,
				`line 2: key "client" must be a TOML table; got an integer`,
				`line 3: unknown key "zzz"`,
				`line 6: namespaces entry 1 (name "talk"): key "namespaces.history_size" must be a TOML integer; got a string`,
				`line 7: namespaces entry 1: unknown key "namespaces.colour"`,
				`line 9: key "presence.ttl": invalid duration: got the boolean true; write a number and a unit such as "25s"`,
			}, "\n"),
		},
		{
			"[[namespaces]]\nname = \"a\"\nhistory_size = \"x\"\n[[namespaces]]\nname = \"b\"\nhistory_size = 5\n[[namespaces]]\nname = \"c\"\nhistory_size = true\n" +
				"[[auth.keys]]\nid = \"k1\"\nalgorithm = 5\n[[auth.keys]]\nid = \"k2\"\nalgorithm = \"HS256\"\n",
			strings.Join([]string{
				`line 3: namespaces entry 1 (name "a"): key "namespaces.history_size" must be a TOML integer; got a string`,
				`line 9: namespaces entry 3 (name "c"): key "namespaces.history_size" must be a TOML integer; got a boolean`,
				`line 12: auth.keys entry 1: key "auth.keys.algorithm" must be a TOML string; got an integer`,
			}, "\n"),
		},
	} {
		for range 5 {
			_, err := parse(tc.src)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := err.Error(); got != tc.want {
				t.Fatalf("got\n%v\nwant\n%s", got, tc.want)
			}
		}
	}
}

func TestSizesAcceptUnits(t *testing.T) {
	cfg, err := parse("[client]\nmax_message_bytes = \"128KiB\"\nqueue_max_bytes = 2097152\n[engine]\nmax_storage_bytes = \"10 GiB\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Client.MaxMessageBytes != 128<<10 || cfg.Client.QueueMaxBytes != 2<<20 || cfg.Engine.MaxStorageBytes != 10<<30 {
		t.Errorf("sizes: %d %d %d", cfg.Client.MaxMessageBytes, cfg.Client.QueueMaxBytes, cfg.Engine.MaxStorageBytes)
	}
}

func TestNamespacesFromFile(t *testing.T) {
	cfg, err := parse(`
[[namespaces]]
name = "room"
history_size = 50

[[namespaces]]
name = "talk"
presence = true
publish = "subscriber"

[[namespaces]]
name = ""
subscribe = "anonymous"
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	// room is replaced entirely: what the entry leaves out takes the
	// defaults of a new namespace, not the built-in room's values.
	room, ok := cfg.Namespace("room")
	want := NamespaceDefaults("room")
	want.HistorySize = 50
	if !ok || room != want {
		t.Errorf("room = %+v, %v\nwant %+v", room, ok, want)
	}

	talk, ok := cfg.Namespace("talk")
	want = NamespaceDefaults("talk")
	want.Presence, want.Publish = true, PublishSubscriber
	if !ok || talk != want {
		t.Errorf("talk = %+v, %v\nwant %+v", talk, ok, want)
	}

	def, ok := cfg.ChannelNamespace("lobby")
	if !ok || def.Name != "" || def.Subscribe != SubscribeAnonymous || def.Publish != PublishNone {
		t.Errorf("default namespace = %+v, %v", def, ok)
	}

	// Built-ins the file does not name are kept as they are.
	for _, name := range []string{"reactions", "personal", "chat", "chatmod", "typing", "audit", "support", "supporttyping", "supportq"} {
		got, ok := cfg.Namespace(name)
		wantNS, _ := Default().Namespace(name)
		if !ok || got != wantNS {
			t.Errorf("%s = %+v, want the built-in %+v", name, got, wantNS)
		}
	}

	// Built-ins keep their place; added namespaces follow in file order.
	var names []string
	for _, ns := range cfg.Namespaces {
		names = append(names, ns.Name)
	}
	if got := strings.Join(names, ","); got != ",room,reactions,personal,chat,chatmod,typing,audit,support,supporttyping,supportq,talk" {
		t.Errorf("namespace order %q", got)
	}
}

func TestBuiltinNamespaces(t *testing.T) {
	cfg := Default()
	room, ok := cfg.ChannelNamespace("room:42")
	if !ok || room.HistorySize != 1000 || room.HistoryTTL.Duration() != 24*time.Hour || !room.Recovery ||
		!room.Presence || !room.JoinLeave || room.Subscribe != SubscribeAuthenticated || room.Publish != PublishAuthenticated {
		t.Errorf("room = %+v", room)
	}
	r, ok := cfg.ChannelNamespace("reactions:42")
	if !ok || r.HistorySize != 0 || r.Publish != PublishAuthenticated || r.PublishRate != 10 || r.PublishBurst != 20 {
		t.Errorf("reactions = %+v", r)
	}
	p, ok := cfg.ChannelNamespace("personal:alice")
	if !ok || p.Subscribe != SubscribeUser || p.Publish != PublishNone || p.HistorySize != 100 || !p.Recovery {
		t.Errorf("personal = %+v", p)
	}
	d, ok := cfg.ChannelNamespace("no-namespace")
	if !ok || d.Name != "" || d.Subscribe != SubscribeToken || d.Publish != PublishNone {
		t.Errorf("default = %+v", d)
	}
	if _, ok := cfg.ChannelNamespace("unknown:1"); ok {
		t.Error("unknown:1 found a namespace")
	}
	// A channel name may contain more separators after the first.
	if ns, ok := cfg.ChannelNamespace("room:a:b"); !ok || ns.Name != "room" {
		t.Errorf("room:a:b = %+v, %v", ns, ok)
	}
}

func TestDuplicateNamespacesRefused(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"built-in twice", "[[namespaces]]\nname = \"room\"\n[[namespaces]]\nname = \"room\"\n"},
		{"new twice", "[[namespaces]]\nname = \"chat\"\n[[namespaces]]\nname = \"chat\"\n"},
		{"default twice", "[[namespaces]]\nname = \"\"\n[[namespaces]]\nname = \"\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), "defined more than once") {
				t.Errorf("got %v, want a duplicate error", err)
			}
		})
	}
}

func TestManyUnknownKeysBounded(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "unknown_%d = %d\n", i, i)
	}
	_, err := parse(b.String())
	if got := len(keyErrors(err)); got != maxKeyErrors {
		t.Errorf("got %d key errors, want %d", got, maxKeyErrors)
	}
	if err == nil || !strings.Contains(err.Error(), "and 480 more keys like these") {
		t.Errorf("no summary of the rest: %v", err)
	}
}

// A file with several problems is reported as a count and one problem per
// indented line, each starting with its line; with one, on one line.
func TestLoadReportsEveryProblemOnItsOwnLine(t *testing.T) {
	path := writeFile(t, "liveroom.toml", "zzz = 1\ndemo = \"yes\"\n[[namespaces]]\nname = \"a\"\nextra = 1\n")
	_, err := Load([]string{"--config", path}, env{}.get)
	want := "config file " + path + " has 3 problems:\n" +
		"  line 1: unknown key \"zzz\"\n" +
		"  line 2: key \"demo\" must be a TOML boolean; got a string\n" +
		"  line 5: namespaces entry 1: unknown key \"namespaces.extra\""
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}
