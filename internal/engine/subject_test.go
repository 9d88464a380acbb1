package engine

import (
	"strings"
	"testing"
)

func TestEncodeTokenRoundTrip(t *testing.T) {
	cases := map[string]string{
		"room:lobby":    "room:lobby",
		"a.b":           "a~2Eb",
		"x*y>z":         "x~2Ay~3Ez",
		"tilde~":        "tilde~7E",
		"space here":    "space~20here",
		"émoji🙂":        "~C3~A9moji~F0~9F~99~82",
		"user@x:dm_1-2": "user@x:dm_1-2",
	}
	for in, want := range cases {
		got := EncodeToken(in)
		if got != want {
			t.Errorf("EncodeToken(%q) = %q; want %q", in, got, want)
		}
		back, err := DecodeToken(got)
		if err != nil || back != in {
			t.Errorf("DecodeToken(%q) = %q, %v; want %q", got, back, err, in)
		}
	}
}

func TestDecodeTokenRejectsNonCanonical(t *testing.T) {
	for _, tok := range []string{"~2e", "~41", "a.b", "~", "~2", "~ZZ", "a b", "*", ">"} {
		if _, err := DecodeToken(tok); err == nil {
			t.Errorf("DecodeToken(%q) accepted a token EncodeToken cannot produce", tok)
		}
	}
}

func FuzzEncodeToken(f *testing.F) {
	for _, s := range []string{"room:1", "a.b.c", "~", "*>", "\x00\xff", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tok := EncodeToken(name)
		if name != "" && tok == "" {
			t.Fatalf("empty token for %q", name)
		}
		if strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("token %q for %q holds a subject separator, wildcard or space", tok, name)
		}
		back, err := DecodeToken(tok)
		if err != nil || back != name {
			t.Fatalf("round trip of %q: %q, %v", name, back, err)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{"room:1", "a~2Eb", "~", "~7e", "~2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		name, err := DecodeToken(tok)
		if err != nil {
			return
		}
		if EncodeToken(name) != tok {
			t.Fatalf("decoded %q to %q which encodes to %q: not canonical", tok, name, EncodeToken(name))
		}
	})
}
