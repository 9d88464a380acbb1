package auth

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMintRoundTrip(t *testing.T) {
	k := testKeys(t)
	for _, key := range []Key{
		mustKey(t)(NewHMACKey("h", testSecret)),
		mustKey(t)(NewPrivateKey("r", k.rsa)),
		mustKey(t)(NewPrivateKey("", k.ed)),
	} {
		t.Run(key.Algorithm, func(t *testing.T) {
			v := mustVerifier(t, VerifierConfig{Keys: mustKeySet(t, key.Public()), Audience: "aud", Issuer: "iss"})
			tok, err := Mint(key, MintClaims{
				User: "user-1", Name: `Ann "the" Admin`, TTL: 10 * time.Minute, IssuedAt: testNow.Add(300 * time.Millisecond),
				Channels: []string{"news", "room:1"}, Audience: "aud", Issuer: "iss",
			})
			if err != nil {
				t.Fatal(err)
			}
			header, _ := b64.DecodeString(strings.SplitN(tok, ".", 2)[0])
			var h map[string]any
			if err := json.Unmarshal(header, &h); err != nil || h["alg"] != key.Algorithm || h["typ"] != "JWT" {
				t.Fatalf("header %s", header)
			}
			if _, hasKid := h["kid"]; hasKid != (key.ID != "") {
				t.Fatalf("header %s for key %v", header, key)
			}
			c, err := v.VerifyConnect(tok, testNow)
			if err != nil {
				t.Fatal(err)
			}
			var info map[string]string
			if err := json.Unmarshal(c.Info, &info); err != nil || info["name"] != `Ann "the" Admin` {
				t.Fatalf("info %s", c.Info)
			}
			if c.User != "user-1" || !slices.Equal(c.Channels, []string{"news", "room:1"}) ||
				!c.IssuedAt.Equal(testNow) || !c.ExpiresAt.Equal(testNow.Add(10*time.Minute)) {
				t.Fatalf("claims %+v", c)
			}

			capped, err := Mint(key, MintClaims{User: "user-1", Session: "sess-9", TTL: 10 * time.Minute, IssuedAt: testNow,
				ExpiresAt: testNow.Add(90 * time.Second), Audience: "aud", Issuer: "iss"})
			if err != nil {
				t.Fatal(err)
			}
			cc, err := v.VerifyConnect(capped, testNow)
			if err != nil || cc.Session != "sess-9" || !cc.ExpiresAt.Equal(testNow.Add(90*time.Second)) {
				t.Fatalf("session token: %+v %v; want sid sess-9 and exp capped at 90 s", cc, err)
			}
			if _, err := Mint(key, MintClaims{User: "u", TTL: time.Minute, IssuedAt: testNow, ExpiresAt: testNow.Add(-time.Second)}); err == nil {
				t.Fatal("minted a token whose session ended before its iat")
			}

			sub, err := Mint(key, MintClaims{User: "user-1", Channel: "dm#1", TTL: time.Minute, IssuedAt: testNow, Audience: "aud", Issuer: "iss", Info: json.RawMessage(`[1,"x"]`)})
			if err != nil {
				t.Fatal(err)
			}
			sc, err := v.VerifySubscribe(sub, "dm#1", "user-1", testNow)
			if err != nil || string(sc.Info) != `[1,"x"]` {
				t.Fatalf("subscribe: %+v %v", sc, err)
			}
			if _, err := v.VerifyConnect(sub, testNow); err == nil {
				t.Fatal("subscription token accepted as connection token")
			}
		})
	}
}

func TestMintErrors(t *testing.T) {
	k := testKeys(t)
	hs := mustKey(t)(NewHMACKey("", testSecret))
	for _, c := range []struct {
		name   string
		key    Key
		claims MintClaims
		want   string
	}{
		{"public key only", mustKey(t)(NewPrivateKey("r", k.rsa)).Public(), MintClaims{TTL: time.Minute}, "only a public key"},
		{"zero key", Key{}, MintClaims{TTL: time.Minute}, "not initialised"},
		{"no ttl", hs, MintClaims{}, "ttl must be positive"},
		{"name and info", hs, MintClaims{TTL: time.Minute, Name: "a", Info: json.RawMessage(`{}`)}, "not both"},
		{"bad info", hs, MintClaims{TTL: time.Minute, Info: json.RawMessage(`{`)}, "not valid JSON"},
		{"empty channel", hs, MintClaims{TTL: time.Minute, Channels: []string{""}}, "channel 0 is empty"},
	} {
		if _, err := Mint(c.key, c.claims); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want %q", c.name, err, c.want)
		}
	}
}

func TestAPIKeyMatches(t *testing.T) {
	const key = "Zm9vYmFyLWFwaS1rZXktZm9yLXRlc3RzLTAxMjM0NTY3"
	for _, c := range []struct {
		presented, configured string
		want                  bool
	}{
		{key, key, true},
		{key[:len(key)-1], key, false},
		{key + "x", key, false},
		{strings.ToLower(key), key, false},
		{"", key, false},
		{"", "", false},
		{"anything", "", false},
	} {
		if got := APIKeyMatches(c.presented, c.configured); got != c.want {
			t.Errorf("APIKeyMatches(%q, %q) = %v", c.presented, c.configured, got)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for _, c := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc", "abc", true},
		{"Bearer ", "", false},
		{"Bearer", "", false},
		{"Bearer    ", "", false},
		{"Basic abc", "", false},
		{"apikey abc", "", false},
		{"", "", false},
	} {
		if token, ok := BearerToken(c.header); token != c.token || ok != c.ok {
			t.Errorf("BearerToken(%q) = %q, %v", c.header, token, ok)
		}
	}
}

func TestRemainingTTL(t *testing.T) {
	far := testNow.Add(200 * 365 * 24 * time.Hour)
	if expires, ttl := RemainingTTL(far, testNow); !expires || ttl != 1<<32-1 {
		t.Fatalf("far future: %v %d", expires, ttl)
	}
	if expires, ttl := RemainingTTL(testNow.Add(1500*time.Millisecond), testNow); !expires || ttl != 2 {
		t.Fatalf("1.5 s: %v %d", expires, ttl)
	}
}

// TestSubThatCannotNameAUserIsInvalid: a token whose sub is over 255
// bytes, or holds a control or format character, used to pass and fail
// later at the session lookup with "could not check the session;
// reconnect", which clients retried forever. It is an invalid token.
func TestSubThatCannotNameAUserIsInvalid(t *testing.T) {
	key := mustKey(t)(NewHMACKey("h", testSecret))
	v := mustVerifier(t, VerifierConfig{Keys: mustKeySet(t, key.Public())})
	for _, sub := range []string{strings.Repeat("a", 4000), "eve\u202e", "a\x00b"} {
		tok, err := Mint(key, MintClaims{User: sub, TTL: time.Hour, IssuedAt: testNow})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyConnect(tok, testNow); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "sub") {
			t.Errorf("sub of %d bytes (%q…): %v; want an invalid token naming sub", len(sub), sub[:min(len(sub), 8)], err)
		}
	}
	ok, _ := Mint(key, MintClaims{User: strings.Repeat("a", 255), TTL: time.Hour, IssuedAt: testNow})
	if _, err := v.VerifyConnect(ok, testNow); err != nil {
		t.Fatalf("sub of 255 bytes: %v", err)
	}
}
