package hub

import "testing"

func TestCommandID(t *testing.T) {
	cases := map[string]uint32{
		`{"id":5,"subscribe":{"channel":{}}}`:                5,
		`{"subscribe":{"channel":5},"id":7}`:                 7,
		`{"id":4294967295,"x":1}`:                            4294967295,
		`{"id":5,"rpc":{"method":"a"},"rpc":{"method":"b"}}`: 5,
	}
	for line, want := range cases {
		if got, ok := commandID([]byte(line)); !ok || got != want {
			t.Errorf("commandID(%s) = %d, %v; want %d", line, got, ok, want)
		}
	}
	for _, line := range []string{
		`{"id":"5"}`, `{"id":-1}`, `{"id":0}`, `{"id":4294967296}`, `{"id":1.0}`, `{"id":1e2}`,
		`{"id":5,"id":6}`, `[{"id":5}]`, `{"id":5`, `not json`, `{"x":1}`, `{"id":05}`,
	} {
		if id, ok := commandID([]byte(line)); ok {
			t.Errorf("commandID(%s) = %d; want no id", line, id)
		}
	}
}

func FuzzCommandID(f *testing.F) {
	for _, s := range []string{`{"id":5}`, `{"id":"5"}`, `{"id":5,"id":6}`, `{"a":{"id":1},"id":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		id, ok := commandID(line)
		if ok && id == 0 {
			t.Fatalf("id 0 accepted for %q", line)
		}
	})
}
