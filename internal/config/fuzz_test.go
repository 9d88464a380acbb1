package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzParseFile feeds arbitrary bytes to the file loader. It must never
// panic; it returns an error, or a config that either fails Validate with
// an error or passes it and survives a round trip through the TOML encoder.
func FuzzParseFile(f *testing.F) {
	for _, seed := range []string{
		exampleConfig,
		"",
		"addr = \"0.0.0.0:1\"\n",
		"demo = true\nnode_name = \"n1\"\n",
		"[client]\nping_interval = \"5s\"\npong_timeout = \"1s\"\nmax_message_bytes = \"1MiB\"\n",
		"[[namespaces]]\nname = \"room\"\n[[namespaces]]\nname = \"x\"\nhistory_size = 3\nrecovery = true\n",
		"namespaces = [{name = \"\", subscribe = \"anonymous\"}]\n",
		"[[auth.keys]]\nalgorithm = \"EdDSA\"\npublic_key_file = \"k.pem\"\n",
		"[auth.keys]\nid = 1\n",
		"bogus.x.y = 1\n[Client]\n",
		"[engine]\nmax_storage_bytes = \"9999999TiB\"\n",
		"a = [[[[[[1]]]]]]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg := Default()
		err := parseFile(cfg, src)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			for _, ke := range keyErrors(err) {
				if ke.Line < 0 || ke.Line > bytes.Count(src, []byte("\n"))+1 {
					t.Fatalf("key error %q has line %d outside the file", ke.Key, ke.Line)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// A valid config written back as TOML loads to the same config.
		var out strings.Builder
		if err := toml.NewEncoder(&out).Encode(cfg); err != nil {
			t.Fatalf("encode: %v", err)
		}
		again := Default()
		if err := parseFile(again, []byte(out.String())); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(normalize(cfg), normalize(again)) {
			t.Fatalf("round trip changed the config\nfirst:  %+v\nsecond: %+v\nTOML:\n%s", cfg, again, out.String())
		}
	})
}

// normalize forgets the difference between a nil and an empty key list,
// which TOML cannot express.
func normalize(c *Config) *Config {
	n := *c
	if len(n.Auth.Keys) == 0 {
		n.Auth.Keys = nil
	}
	return &n
}
