package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzFixture is a server with three keys and every token minted for it.
type fuzzFixture struct {
	verifier *Verifier
	minted   map[string]bool
}

var (
	fuzzOnce sync.Once
	fuzzVal  fuzzFixture
)

const (
	fuzzChannel = "room:private"
	fuzzUser    = "user-1"
)

func newFuzzFixture(tb testing.TB) fuzzFixture {
	k := testKeys(tb)
	fuzzOnce.Do(func() {
		hs := mustKey(tb)(NewHMACKey("h", testSecret))
		rs := mustKey(tb)(NewPrivateKey("r", k.rsa))
		ed := mustKey(tb)(NewPrivateKey("", k.ed))
		fuzzVal.verifier = mustVerifier(tb, VerifierConfig{Keys: mustKeySet(tb, hs, rs.Public(), ed.Public()), Audience: testAudience})
		fuzzVal.minted = make(map[string]bool)
		for _, key := range []Key{hs, rs, ed} {
			for _, c := range []MintClaims{
				{User: fuzzUser, TTL: time.Hour, IssuedAt: testNow, Audience: testAudience, Name: "Ann", Channels: []string{"news"}},
				{User: fuzzUser, TTL: time.Hour, IssuedAt: testNow, Audience: testAudience, Channel: fuzzChannel},
				{TTL: time.Hour, IssuedAt: testNow, Audience: testAudience},
			} {
				tok, err := Mint(key, c)
				if err != nil {
					panic(err)
				}
				fuzzVal.minted[tok] = true
			}
		}
	})
	return fuzzVal
}

// FuzzVerify: whatever the input, verification does not panic, returns a
// *TokenError of exactly one kind with a bounded message, and accepts only
// tokens minted with a configured key. (Mutating a signed token cannot yield
// another correctly signed one: strict base64 leaves one encoding per
// signature.) Seeds: testdata/fuzz/FuzzVerify plus the minted tokens.
func FuzzVerify(f *testing.F) {
	fx := newFuzzFixture(f)
	for tok := range fx.minted {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := fx.verifier.VerifyConnect(token, testNow)
		checkFuzzResult(t, fx, token, err)
		if err == nil && c == nil {
			t.Fatal("nil claims without error")
		}
		s, err := fx.verifier.VerifySubscribe(token, fuzzChannel, fuzzUser, testNow)
		checkFuzzResult(t, fx, token, err)
		if err == nil && (s.Channel != fuzzChannel || s.User != fuzzUser) {
			t.Fatalf("subscription accepted for %q/%q", s.Channel, s.User)
		}
	})
}

func checkFuzzResult(t *testing.T, fx fuzzFixture, token string, err error) {
	t.Helper()
	if err == nil {
		if !fx.minted[token] {
			t.Fatalf("accepted a token that was never minted: %q", token)
		}
		return
	}
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("error %T %v is not a *TokenError", err, err)
	}
	if errors.Is(err, ErrInvalidToken) == errors.Is(err, ErrTokenExpired) {
		t.Fatalf("error %v must be exactly one of ErrInvalidToken, ErrTokenExpired", err)
	}
	if len(err.Error()) > 400 {
		t.Fatalf("error message of %d bytes", len(err.Error()))
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Fatal("error message contains the secret")
	}
}

// FuzzDecodeClaims: any payload (as if correctly signed) decodes or fails
// without panicking, and decoded dates stay in range.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"u","exp":1777640400,"nbf":1.5,"iat":0,"aud":["a"],"info":{"a":[1,{}]},"channels":["x"],"channel":"c"}`,
		`{"exp":1e309}`, `{"sub":"a","sub":"b"}`, `{"aud":"x","aud":1}`, `{} {}`, `[`, `{"info":` + strings.Repeat("[", 20000),
		`{"exp":-0}`, `{"exp":253402300799.9}`, `{"channels":[null,"a"]}`, `{"\u0073ub":"escaped name"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeClaims(data)
		if err != nil {
			return
		}
		limit := time.Unix(maxNumericDate+1, 0)
		for _, d := range []time.Time{c.ExpiresAt, c.NotBefore, c.IssuedAt} {
			if d.After(limit) || d.Before(time.Unix(0, 0)) && !d.IsZero() {
				t.Fatalf("date out of range: %v", d)
			}
		}
	})
}

// The committed seeds stay meaningful: those named valid-* are accepted
// (they are minted with the fixed test keys), all others are refused.
func TestFuzzVerifySeeds(t *testing.T) {
	fx := newFuzzFixture(t)
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzVerify", "*"))
	if err != nil || len(files) < 10 {
		t.Fatalf("seed corpus: %d files, %v", len(files), err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
			t.Fatalf("%s: not a string seed", path)
		}
		token, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		_, errConnect := fx.verifier.VerifyConnect(token, testNow)
		_, errSub := fx.verifier.VerifySubscribe(token, fuzzChannel, fuzzUser, testNow)
		accepted := errConnect == nil || errSub == nil
		if want := strings.HasPrefix(filepath.Base(path), "valid-"); accepted != want {
			t.Errorf("%s: accepted=%v (connect: %v; subscribe: %v)", filepath.Base(path), accepted, errConnect, errSub)
		}
	}
}

// FuzzForEachMember: on any valid JSON object the walk sees the same
// members as encoding/json (last value wins there, so compare with that).
func FuzzForEachMember(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"]"}], "d":"x\"}y", "e":null,"f":true,"g":-1.5e3 } `,
		`{"\u00e9":"\ud83d\ude00","a":"\\"}`, `{"a":{"b":{"c":[[],{}]}},"a":2}`, "{\"\xff\":\"\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		got := make(map[string]json.RawMessage)
		err := forEachMember(data, func(name string, value []byte) error {
			got[name] = value
			return nil
		})
		if err != nil {
			t.Fatalf("walk failed on valid JSON %q: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("members %d, encoding/json %d", len(got), len(want))
		}
		for name, w := range want {
			if g, ok := got[name]; !ok || !bytes.Equal(g, w) {
				t.Fatalf("member %q: %q, encoding/json %q", name, g, w)
			}
		}
	})
}
