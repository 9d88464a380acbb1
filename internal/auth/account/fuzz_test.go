package account

import (
	"strings"
	"testing"
)

// Refresh tokens come from clients: parsing never panics, and whatever it
// accepts re-formats to the same text (one encoding per token).
func FuzzParseRefresh(f *testing.F) {
	key := newSessionKey()
	f.Add(formatRefresh(key, "u-abcdefghijklmnop", SessionPrefix+"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 7))
	f.Add("lrr1.u-abcdefghijklmnop.lrs_ABCDEFGHIJKLMNOPQRSTUVWXYZ.01.AAAA")
	f.Add("lrr1....")
	f.Add(strings.Repeat(".", 300))
	f.Fuzz(func(t *testing.T, s string) {
		tok, ok := parseRefresh(s)
		if !ok {
			return
		}
		if !validID(tok.user) || !validSessionID(tok.session) || tok.gen == 0 || len(tok.mac) != 32 {
			t.Fatalf("accepted %q as %+v", s, tok)
		}
		if tok.genuine(key) && s != formatRefresh(key, tok.user, tok.session, tok.gen) {
			t.Fatalf("genuine token %q does not re-format to itself", s)
		}
	})
}

// Stored hashes are parsed with their costs bounded, whatever the text.
func FuzzParsePHC(f *testing.F) {
	h := newHasher(HashParams{MemoryKiB: 64, Iterations: 1, Concurrency: 1})
	f.Add(h.hash("password"))
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=64,t=1$x$y")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.m > maxStoredMemoryKiB || p.t > maxStoredPasses || p.t < 1 || len(p.key) < 16 {
			t.Fatalf("accepted costs out of range from %q: %+v", s, p)
		}
	})
}

func TestPasswordHashRoundTrip(t *testing.T) {
	h := newHasher(HashParams{MemoryKiB: 64, Iterations: 1, Concurrency: 1})
	phc := h.hash("correct horse battery")
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("PHC string %q", phc)
	}
	if !h.verify("correct horse battery", phc) || h.verify("correct horse batterY", phc) || h.verify("", phc) {
		t.Fatal("verify does not tell the password from others")
	}
	// Costs come from the stored string: a hash made with other costs
	// still verifies.
	h2 := newHasher(HashParams{MemoryKiB: 128, Iterations: 2, Concurrency: 1})
	if !h2.verify("correct horse battery", phc) {
		t.Fatal("a hash with older costs no longer verifies")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", phc + "$"} {
		if h.verify("correct horse battery", bad) {
			t.Fatalf("malformed hash %q verified", bad)
		}
	}
}
