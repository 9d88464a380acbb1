package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkFixtures checks every dir/NAME.json against types[NAME]: one fixture
// per type, each decoding strictly (no unknown fields) and encoding back to
// the same bytes.
func checkFixtures(t *testing.T, dir string, types map[string]func() any) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != len(types) {
		t.Fatalf("%s: %d fixtures for %d types (%v)", dir, len(files), len(types), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		newV, ok := types[name]
		if !ok {
			t.Fatalf("fixture %s has no type", f)
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.TrimSpace(raw)
		v := newV()
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, raw) {
			t.Errorf("%s round trip:\n got %s\nwant %s", f, out, raw)
		}
	}
}
