package auth

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// hsToken signs payload (a JSON object literal) with the test secret.
func hsToken(payload string) string {
	return craft(`{"alg":"HS256","typ":"JWT"}`, payload, hmacSigner([]byte(testSecret)))
}

func hsVerifier(t *testing.T, cfg VerifierConfig) *Verifier {
	t.Helper()
	cfg.Keys = mustKeySet(t, mustKey(t)(NewHMACKey("", testSecret)))
	return mustVerifier(t, cfg)
}

func unix(d time.Duration) int64 { return testNow.Add(d).Unix() }

func TestVerifyConnectTimes(t *testing.T) {
	strict := hsVerifier(t, VerifierConfig{})
	lenient := hsVerifier(t, VerifierConfig{Leeway: 30 * time.Second, AllowNoExpiry: true})
	noSkew := hsVerifier(t, VerifierConfig{ClockSkew: -1})
	cases := []struct {
		name    string
		v       *Verifier
		payload string
		expired string // want ErrTokenExpired with this message
		invalid string // want ErrInvalidToken with this message
	}{
		{"valid", strict, fmt.Sprintf(`{"sub":"u","exp":%d}`, unix(time.Hour)), "", ""},
		{"expired 12 s ago", strict, fmt.Sprintf(`{"exp":%d}`, unix(-12*time.Second)), "token expired 12 s ago", ""},
		{"expired 3 h ago", strict, fmt.Sprintf(`{"exp":%d}`, unix(-3*time.Hour)), "token expired 3 h ago", ""},
		{"expires exactly now", strict, fmt.Sprintf(`{"exp":%d}`, unix(0)), "token expired 0 s ago", ""},
		{"fractional exp still valid", strict, fmt.Sprintf(`{"exp":%d.5}`, unix(0)), "", ""},
		{"within leeway", lenient, fmt.Sprintf(`{"exp":%d}`, unix(-12*time.Second)), "", ""},
		{"past leeway", lenient, fmt.Sprintf(`{"exp":%d}`, unix(-31*time.Second)), "token expired 31 s ago", ""},
		{"no exp", strict, `{"sub":"u"}`, "", "no exp claim"},
		{"exp null", strict, `{"sub":"u","exp":null}`, "", "no exp claim"},
		{"no exp allowed", lenient, `{"sub":"u"}`, "", ""},
		{"exp as string", strict, fmt.Sprintf(`{"exp":"%d"}`, unix(time.Hour)), "", `"exp" must be a number`},
		{"exp in milliseconds", strict, fmt.Sprintf(`{"exp":%d}`, testNow.Add(time.Hour).UnixMilli()), "", "out of range"},
		{"exp negative", strict, `{"exp":-1}`, "", "out of range"},
		{"exp 1e309", strict, `{"exp":1e309}`, "", "out of range"},
		{"nbf in 30 s", strict, fmt.Sprintf(`{"exp":%d,"nbf":%d}`, unix(time.Hour), unix(30*time.Second)), "", "not valid for another 30 s (nbf)"},
		{"nbf within clock skew", strict, fmt.Sprintf(`{"exp":%d,"nbf":%d}`, unix(time.Hour), unix(3*time.Second)), "", ""},
		{"nbf 3 s ahead without skew", noSkew, fmt.Sprintf(`{"exp":%d,"nbf":%d}`, unix(time.Hour), unix(3*time.Second)), "", "(nbf)"},
		{"nbf past", strict, fmt.Sprintf(`{"exp":%d,"nbf":%d}`, unix(time.Hour), unix(-time.Hour)), "", ""},
		{"iat in the future", strict, fmt.Sprintf(`{"exp":%d,"iat":%d}`, unix(2*time.Hour), unix(time.Hour)), "", "issued 60 min in the future (iat)"},
		{"iat within clock skew", strict, fmt.Sprintf(`{"exp":%d,"iat":%d}`, unix(time.Hour), unix(4*time.Second)), "", ""},
		{"iat in milliseconds", strict, fmt.Sprintf(`{"exp":%d,"iat":%d}`, unix(time.Hour), testNow.UnixMilli()), "", "not milliseconds"},
		{"info not UTF-8", strict, fmt.Sprintf(`{"sub":"u","exp":%d,"info":{"name":"`+"\xc3\x28"+`"}}`, unix(time.Hour)), "", "not valid UTF-8"},
		// Expiry is reported only for a token that is otherwise right.
		{"expired and nbf ahead", strict, fmt.Sprintf(`{"exp":%d,"nbf":%d}`, unix(-time.Hour), unix(time.Hour)), "", "(nbf)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.VerifyConnect(hsToken(c.payload), testNow)
			switch {
			case c.expired != "":
				if !errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrInvalidToken) || err.Error() != c.expired {
					t.Fatalf("got %v; want ErrTokenExpired %q", err, c.expired)
				}
			case c.invalid != "":
				wantInvalid(t, err, c.invalid)
			case err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

func TestExpiredForgeryIsInvalid(t *testing.T) {
	v := hsVerifier(t, VerifierConfig{Audience: testAudience})
	payload := fmt.Sprintf(`{"exp":%d,"aud":%q}`, unix(-time.Minute), testAudience)
	if _, err := v.VerifyConnect(hsToken(payload), testNow); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("genuine expired token: got %v, want ErrTokenExpired", err)
	}
	forged := flipLastSigByte(t, hsToken(payload))
	_, err := v.VerifyConnect(forged, testNow)
	wantInvalid(t, err, "signature is invalid")
	wrongAud := fmt.Sprintf(`{"exp":%d,"aud":"elsewhere"}`, unix(-time.Minute))
	_, err = v.VerifyConnect(hsToken(wrongAud), testNow)
	wantInvalid(t, err, "audience")
}

func TestVerifyAudienceIssuer(t *testing.T) {
	both := hsVerifier(t, VerifierConfig{Audience: "lr", Issuer: "https://issuer.example"})
	none := hsVerifier(t, VerifierConfig{})
	exp := unix(time.Hour)
	cases := []struct {
		name    string
		v       *Verifier
		payload string
		invalid string
	}{
		{"match", both, fmt.Sprintf(`{"exp":%d,"aud":"lr","iss":"https://issuer.example"}`, exp), ""},
		{"aud array", both, fmt.Sprintf(`{"exp":%d,"aud":["x","lr"],"iss":"https://issuer.example"}`, exp), ""},
		{"aud mismatch", both, fmt.Sprintf(`{"exp":%d,"aud":"other","iss":"https://issuer.example"}`, exp), `audience "[other]" does not include "lr"`},
		{"aud case differs", both, fmt.Sprintf(`{"exp":%d,"aud":"LR","iss":"https://issuer.example"}`, exp), "does not include"},
		{"aud missing", both, fmt.Sprintf(`{"exp":%d,"iss":"https://issuer.example"}`, exp), "no aud claim"},
		{"aud empty array", both, fmt.Sprintf(`{"exp":%d,"aud":[],"iss":"https://issuer.example"}`, exp), "no aud claim"},
		{"aud number", both, fmt.Sprintf(`{"exp":%d,"aud":5,"iss":"https://issuer.example"}`, exp), "string or an array"},
		{"iss mismatch", both, fmt.Sprintf(`{"exp":%d,"aud":"lr","iss":"https://evil.example"}`, exp), `issuer "https://evil.example" is not`},
		{"iss missing", both, fmt.Sprintf(`{"exp":%d,"aud":"lr"}`, exp), "no iss claim"},
		{"unchecked when not configured", none, fmt.Sprintf(`{"exp":%d,"aud":"any","iss":"any"}`, exp), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.VerifyConnect(hsToken(c.payload), testNow)
			if c.invalid != "" {
				wantInvalid(t, err, c.invalid)
			} else if err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

func TestVerifyConnectClaims(t *testing.T) {
	v := hsVerifier(t, VerifierConfig{})
	exp := unix(90*time.Second + 500*time.Millisecond)
	payload := fmt.Sprintf(`{"sub":"user-1","exp":%d.5,"iat":%d,"jti":"j1","sid":"S1","info":{"name":"Ann","tags":[1,2]},"channels":["news","tenant-a:orders"],"x-custom":{"deep":[1]}}`, exp-1, unix(0))
	c, err := v.VerifyConnect(hsToken(payload), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "user-1" || c.ID != "j1" || c.Session != "S1" || string(c.Info) != `{"name":"Ann","tags":[1,2]}` ||
		!slices.Equal(c.Channels, []string{"news", "tenant-a:orders"}) || !c.IssuedAt.Equal(testNow) {
		t.Fatalf("claims: %+v", c)
	}
	if expires, ttl := c.TTL(testNow); !expires || ttl != 90 {
		t.Fatalf("TTL = %v, %d; want true, 90", expires, ttl)
	}
	if expires, ttl := c.TTL(testNow.Add(89*time.Second + 100*time.Millisecond)); !expires || ttl != 1 {
		t.Fatalf("TTL near the end = %v, %d; want true, 1", expires, ttl)
	}
	if expires, ttl := c.TTL(testNow.Add(time.Hour)); !expires || ttl != 1 {
		t.Fatalf("TTL past exp (leeway) = %v, %d; want true, 1", expires, ttl)
	}
	if expires, ttl := (Claims{}).TTL(testNow); expires || ttl != 0 {
		t.Fatalf("TTL without exp = %v, %d", expires, ttl)
	}

	anon, err := v.VerifyConnect(hsToken(fmt.Sprintf(`{"SUB":"admin","exp":%d,"info":null,"channels":null}`, exp)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if anon.User != "" || anon.Info != nil || anon.Channels != nil {
		t.Fatalf("claim names must match exactly, null means absent: %+v", anon)
	}

	for payload, want := range map[string]string{
		fmt.Sprintf(`{"sub":"a\u00e9\"b","exp":%d}`, exp): `aé"b`,
	} {
		c, err := v.VerifyConnect(hsToken(payload), testNow)
		if err != nil || c.User != want {
			t.Fatalf("sub from %q: %+v, %v; want %q", payload, c, err, want)
		}
	}

	for _, bad := range []struct{ name, payload, want string }{
		// Not coerced to U+FFFD as encoding/json would: two different
		// byte strings would become one user.
		{"sub not UTF-8", fmt.Sprintf("{\"sub\":\"a\xffb\",\"exp\":%d}", exp), "not valid UTF-8"},
		{"sub twice", fmt.Sprintf(`{"sub":"alice","sub":"admin","exp":%d}`, exp), `"sub" appears twice`},
		{"exp twice", fmt.Sprintf(`{"exp":%d,"exp":%d}`, exp, exp), `"exp" appears twice`},
		{"sid twice", fmt.Sprintf(`{"sid":"a","sid":"b","exp":%d}`, exp), `"sid" appears twice`},
		{"sid number", fmt.Sprintf(`{"sid":7,"exp":%d}`, exp), `"sid" must be a string`},
		{"sub number", fmt.Sprintf(`{"sub":5,"exp":%d}`, exp), `"sub" must be a string`},
		{"channels not array", fmt.Sprintf(`{"exp":%d,"channels":"news"}`, exp), "array of strings"},
		{"channels with number", fmt.Sprintf(`{"exp":%d,"channels":["a",1]}`, exp), "array of strings"},
		{"channels with empty", fmt.Sprintf(`{"exp":%d,"channels":["a",""]}`, exp), "entry 1 is empty"},
		{"channels with null", fmt.Sprintf(`{"exp":%d,"channels":[null]}`, exp), "entry 0 is empty"},
		{"payload is array", `[1]`, "not a JSON object"},
		{"payload is null", `null`, "not a JSON object"},
		{"subscription token used to connect", fmt.Sprintf(`{"exp":%d,"channel":"x"}`, exp), "this is a subscription token"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := v.VerifyConnect(hsToken(bad.payload), testNow)
			wantInvalid(t, err, bad.want)
		})
	}
}

func TestVerifySubscribe(t *testing.T) {
	v := hsVerifier(t, VerifierConfig{})
	exp := unix(time.Hour)
	tok := func(extra string) string { return hsToken(fmt.Sprintf(`{"exp":%d%s}`, exp, extra)) }
	cases := []struct {
		name, token, channel, user, invalid string
	}{
		{"match", tok(`,"sub":"user-1","channel":"dm#user-1,user-2"`), "dm#user-1,user-2", "user-1", ""},
		{"anonymous", tok(`,"channel":"public:x"`), "public:x", "", ""},
		{"other channel", tok(`,"sub":"user-1","channel":"tenant-a:orders"`), "tenant-b:orders", "user-1", `for channel "tenant-a:orders", not "tenant-b:orders"`},
		{"channel differs by case", tok(`,"sub":"user-1","channel":"tenant-b:orders"`), "TENANT-B:orders", "user-1", "for channel"},
		{"channel with trailing space", tok(`,"sub":"user-1","channel":"a"`), "a ", "user-1", "for channel"},
		{"other user", tok(`,"sub":"user-2","channel":"c"`), "c", "user-1", `for user "user-2", not this connection's user "user-1"`},
		{"user token on anonymous connection", tok(`,"sub":"user-1","channel":"c"`), "c", "", "for user"},
		{"anonymous token on user connection", tok(`,"channel":"c"`), "c", "user-1", "for user"},
		{"connection token", tok(`,"sub":"user-1"`), "c", "user-1", "no channel claim"},
		{"empty channel claim", tok(`,"sub":"user-1","channel":""`), "", "user-1", "no channel claim"},
		{"channel twice", tok(`,"sub":"user-1","channel":"a","channel":"c"`), "c", "user-1", "appears twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := v.VerifySubscribe(c.token, c.channel, c.user, testNow)
			if c.invalid != "" {
				wantInvalid(t, err, c.invalid)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if sc.Channel != c.channel || sc.User != c.user {
				t.Fatalf("claims %+v", sc)
			}
		})
	}
	expired := hsToken(fmt.Sprintf(`{"exp":%d,"sub":"u","channel":"c"}`, unix(-time.Second)))
	if _, err := v.VerifySubscribe(expired, "c", "u", testNow); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired subscription token: %v", err)
	}
	if _, err := v.VerifySubscribe(expired, "other", "u", testNow); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired token for another channel must be invalid, got %v", err)
	}
}
