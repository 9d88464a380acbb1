package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Case C02: a token chooses neither the algorithm nor the key. Every forged
// token below is built by hand; the control tokens, built the same way and
// signed correctly, prove the harness.

// algConfig is one server configuration under test.
type algConfig struct {
	alg      string
	signer   Key       // can mint
	verifier *Verifier // configured with signer.Public()
	sign     signFunc  // raw signature with the configured key
	pubPEM   []byte    // the configured public key as PEM; nil for HS256
	same     []string  // other algorithms usable with the same key material
	sameSign map[string]signFunc
}

func algConfigs(t *testing.T) []algConfig {
	t.Helper()
	k := testKeys(t)
	hs := mustKey(t)(NewHMACKey("", testSecret))
	rs := mustKey(t)(NewPrivateKey("", k.rsa))
	ed := mustKey(t)(NewPrivateKey("", k.ed))
	mk := func(key Key) *Verifier {
		return mustVerifier(t, VerifierConfig{Keys: mustKeySet(t, key.Public()), Audience: testAudience})
	}
	return []algConfig{
		{
			alg: AlgHS256, signer: hs, verifier: mk(hs), sign: hmacSigner([]byte(testSecret)),
			sameSign: map[string]signFunc{"HS384": hmacSigner([]byte(testSecret)), "HS512": hmacSigner([]byte(testSecret))},
		},
		{
			alg: AlgRS256, signer: rs, verifier: mk(rs), sign: rsaSigner(k.rsa), pubPEM: publicPEM(t, &k.rsa.PublicKey),
			sameSign: map[string]signFunc{"PS256": rsaPSSSigner(k.rsa), "RS512": rsaSigner(k.rsa)},
		},
		{
			alg: AlgEdDSA, signer: ed, verifier: mk(ed), sign: edSigner(k.ed), pubPEM: publicPEM(t, k.ed.Public()),
			sameSign: map[string]signFunc{"Ed25519": edSigner(k.ed), "EDDSA": edSigner(k.ed)},
		},
	}
}

// presentation is one way a token reaches the verifier.
type presentation struct {
	name    string
	payload string
	verify  func(v *Verifier, token string) error
}

func presentations() []presentation {
	exp := testNow.Add(time.Hour).Unix()
	return []presentation{
		{
			name:    "connect",
			payload: fmt.Sprintf(`{"sub":"user-1","exp":%d,"aud":%q}`, exp, testAudience),
			verify: func(v *Verifier, token string) error {
				c, err := v.VerifyConnect(token, testNow)
				if err == nil && c.User != "user-1" {
					return fmt.Errorf("accepted with user %q", c.User)
				}
				return err
			},
		},
		{
			name:    "subscribe",
			payload: fmt.Sprintf(`{"sub":"user-1","exp":%d,"aud":%q,"channel":"room:private"}`, exp, testAudience),
			verify: func(v *Verifier, token string) error {
				c, err := v.VerifySubscribe(token, "room:private", "user-1", testNow)
				if err == nil && (c.User != "user-1" || c.Channel != "room:private") {
					return fmt.Errorf("accepted with user %q channel %q", c.User, c.Channel)
				}
				return err
			},
		},
	}
}

func TestC02AlgorithmConfusion(t *testing.T) {
	k := testKeys(t)
	for _, cfg := range algConfigs(t) {
		t.Run(cfg.alg, func(t *testing.T) {
			for _, p := range presentations() {
				t.Run(p.name, func(t *testing.T) {
					runC02(t, cfg, p, k)
				})
			}
		})
	}
}

func runC02(t *testing.T, cfg algConfig, p presentation, k testKeyMaterial) {
	hdr := func(alg string) string { return fmt.Sprintf(`{"alg":%q,"typ":"JWT"}`, alg) }
	control := craft(hdr(cfg.alg), p.payload, cfg.sign)

	// Controls: the hand-built token and a minted one are accepted.
	if err := p.verify(cfg.verifier, control); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	mc := MintClaims{User: "user-1", TTL: time.Hour, IssuedAt: testNow, Audience: testAudience}
	if p.name == "subscribe" {
		mc.Channel = "room:private"
	}
	minted, err := Mint(cfg.signer, mc)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.verify(cfg.verifier, minted); err != nil {
		t.Fatalf("minted control token refused: %v", err)
	}

	// T3 is "HS256 keyed with the configured public key's PEM"; an HS256
	// server has no public key, so there it is HS256 under another secret.
	t3 := craft(hdr("HS256"), p.payload, hmacSigner(cfg.pubPEM))
	t3want := "signed with HS256 but this server expects " + cfg.alg
	if cfg.pubPEM == nil {
		t3 = craft(hdr("HS256"), p.payload, hmacSigner([]byte(testSecret+"-other")))
		t3want = "signature is invalid"
	}
	t4want := "signed with RS256 but this server expects " + cfg.alg
	if cfg.alg == AlgRS256 {
		t4want = "signature is invalid"
	}
	lastChar := control[len(control)-1]
	paddingBits := control[:len(control)-1] + string(otherPaddingChar(lastChar))

	cases := []struct {
		name, token, want string
	}{
		{"T1 none, empty signature", craft(`{"alg":"none"}`, p.payload, emptySigner), "unsigned"},
		{"T1 none, signed", craft(`{"alg":"none"}`, p.payload, cfg.sign), "signed with none but"},
		{"T2 None", craft(`{"alg":"None"}`, p.payload, emptySigner), "unsigned"},
		{"T2 NONE", craft(`{"alg":"NONE"}`, p.payload, emptySigner), "unsigned"},
		{"T2 nOnE", craft(`{"alg":"nOnE"}`, p.payload, emptySigner), "unsigned"},
		{"T2 None, signed", craft(`{"alg":"None"}`, p.payload, cfg.sign), "signed with None but"},
		{"T2 NONE, signed", craft(`{"alg":"NONE"}`, p.payload, cfg.sign), "signed with NONE but"},
		{"T2 nOnE, signed", craft(`{"alg":"nOnE"}`, p.payload, cfg.sign), "signed with nOnE but"},
		{"T3 HS256 keyed with public PEM", t3, t3want},
		{"T4 RS256 with unrelated key", craft(hdr("RS256"), p.payload, rsaSigner(k.rsaOther)), t4want},
		{"T4 EdDSA with unrelated key", craft(hdr("EdDSA"), p.payload, edSigner(k.edOther)), ""},
		{"T5 no alg", craft(`{"typ":"JWT"}`, p.payload, cfg.sign), "no alg"},
		{"T5 alg upper-case name", craft(fmt.Sprintf(`{"ALG":%q}`, cfg.alg), p.payload, cfg.sign), "no alg"},
		{"T5 alg null", craft(`{"alg":null}`, p.payload, cfg.sign), "alg must be a string"},
		{"T5 alg number", craft(`{"alg":256}`, p.payload, cfg.sign), "alg must be a string"},
		{"T5 alg empty", craft(`{"alg":""}`, p.payload, cfg.sign), `signed with "" but`},
		{"T6 unknown kid", craft(fmt.Sprintf(`{"alg":%q,"kid":"nope"}`, cfg.alg), p.payload, cfg.sign), `key id "nope" is not configured`},
		{"T6 empty kid", craft(fmt.Sprintf(`{"alg":%q,"kid":""}`, cfg.alg), p.payload, cfg.sign), `key id "" is not configured`},
		{"T6 kid not a string", craft(fmt.Sprintf(`{"alg":%q,"kid":7}`, cfg.alg), p.payload, cfg.sign), "kid must be a string"},
		{"T7 last signature byte flipped", flipLastSigByte(t, control), "signature is invalid"},
		{"T7 padding bits of the signature set", paddingBits, "illegal base64"},
		{"crit header", craft(fmt.Sprintf(`{"alg":%q,"crit":["exp"],"exp":1}`, cfg.alg), p.payload, cfg.sign), "crit"},
		{"header not JSON", craft(`{"alg":`, p.payload, cfg.sign), "malformed"},
		{"payload not JSON", craft(hdr(cfg.alg), `{"sub":`, cfg.sign), "malformed"},
		{"payload swapped after signing", swapPayload(control, p.payload), "signature is invalid"},
	}
	for alg, sign := range cfg.sameSign {
		cases = append(cases, struct{ name, token, want string }{
			"same key, alg " + alg, craft(hdr(alg), p.payload, sign), "signed with " + alg + " but this server expects " + cfg.alg,
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantInvalid(t, p.verify(cfg.verifier, c.token), c.want)
		})
	}
}

// otherPaddingChar returns the base64url character that differs from c only
// in its lowest bit, which in the last character of every signature size used
// here falls in the unused padding bits.
func otherPaddingChar(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i^1]
}

// swapPayload keeps header and signature of token and replaces its payload
// with the same claims for another user.
func swapPayload(token, payload string) string {
	parts := strings.Split(token, ".")
	parts[1] = b64.EncodeToString([]byte(strings.Replace(payload, "user-1", "admin", 1)))
	return strings.Join(parts, ".")
}

// A server holding an HS256 secret and an RS256 key (kid "rsa") still never
// lets the RSA public key act as an HMAC secret.
func TestC02MixedKeySet(t *testing.T) {
	k := testKeys(t)
	pubPEM := publicPEM(t, &k.rsa.PublicKey)
	hs := mustKey(t)(NewHMACKey("", testSecret))
	rs := mustKey(t)(ParsePublicKeyPEM("rsa", pubPEM))
	v := mustVerifier(t, VerifierConfig{Keys: mustKeySet(t, hs, rs)})
	payload := fmt.Sprintf(`{"sub":"user-1","exp":%d}`, testNow.Add(time.Hour).Unix())

	for _, tc := range []struct{ name, token, want string }{
		{"HS256 keyed with PEM, no kid", craft(`{"alg":"HS256"}`, payload, hmacSigner(pubPEM)), "signature is invalid"},
		{"HS256 keyed with PEM, kid rsa", craft(`{"alg":"HS256","kid":"rsa"}`, payload, hmacSigner(pubPEM)), `signed with HS256 but key "rsa" expects RS256`},
		{"RS256 with unrelated key", craft(`{"alg":"RS256"}`, payload, rsaSigner(k.rsaOther)), "signature is invalid"},
		{"EdDSA not configured", craft(`{"alg":"EdDSA"}`, payload, edSigner(k.ed)), "this server expects HS256 or RS256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyConnect(tc.token, testNow)
			wantInvalid(t, err, tc.want)
		})
	}
	for _, ok := range []string{
		craft(`{"alg":"HS256"}`, payload, hmacSigner([]byte(testSecret))),
		craft(`{"alg":"RS256"}`, payload, rsaSigner(k.rsa)),
		craft(`{"alg":"RS256","kid":"rsa"}`, payload, rsaSigner(k.rsa)),
	} {
		if _, err := v.VerifyConnect(ok, testNow); err != nil {
			t.Errorf("control refused: %v", err)
		}
	}
}
