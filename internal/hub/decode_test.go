package hub

import (
	"encoding/binary"
	"strings"
	"testing"
)

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

func TestCheckProtobufFraming(t *testing.T) {
	for msg, want := range map[string]string{
		"":                                 "",
		"\x00":                             "",
		"\x02ab\x01c":                      "",
		"\x03ab":                           "declares 3 bytes, but only 2 follow",
		"\x01a\xff":                        "the length before the command at byte 2 is not a valid varint",
		strings.Repeat("\xff", 11):         "at byte 0 is not a valid varint",
		strings.Repeat("\xff", 9) + "\x7f": "at byte 0 is not a valid varint",
	} {
		err := checkProtobufFraming([]byte(msg))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("checkProtobufFraming(%q) = %v; want %q", msg, err, want)
		}
	}
}

// FuzzCheckProtobufFraming: what the check passes, the protocol's decoder
// reads to the end without stopping early, command by command.
func FuzzCheckProtobufFraming(f *testing.F) {
	for _, s := range []string{"", "\x02\x08\x01", "\x03ab", "\xff\xff", "\x00\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if checkProtobufFraming(msg) != nil {
			return
		}
		off := 0
		for off < len(msg) {
			l, n := binary.Uvarint(msg[off:])
			if n <= 0 || l > uint64(len(msg)-off-n) {
				t.Fatalf("passed %x, whose prefix at %d is %d, %d", msg, off, l, n)
			}
			off += n + int(l)
		}
		if off != len(msg) {
			t.Fatalf("passed %x, walked to %d", msg, off)
		}
	})
}
