package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestKeyConstructors(t *testing.T) {
	k := testKeys(t)
	rsaPub := publicPEM(t, &k.rsa.PublicKey)
	edPub := publicPEM(t, k.ed.Public())
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	rsaPriv1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.rsa)})
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}

	good := []struct {
		name    string
		build   func() (Key, error)
		alg     string
		canSign bool
	}{
		{"hmac", func() (Key, error) { return NewHMACKey("a", testSecret) }, AlgHS256, true},
		{"rsa pkix", func() (Key, error) { return ParsePublicKeyPEM("r", rsaPub) }, AlgRS256, false},
		{"rsa pkcs1", func() (Key, error) { return ParsePublicKeyPEM("r", pkcs1) }, AlgRS256, false},
		{"ed pkix", func() (Key, error) { return ParsePublicKeyPEM("e", edPub) }, AlgEdDSA, false},
		{"rsa private pkcs8", func() (Key, error) { return ParsePrivateKeyPEM("r", privatePEM(t, k.rsa)) }, AlgRS256, true},
		{"rsa private pkcs1", func() (Key, error) { return ParsePrivateKeyPEM("r", rsaPriv1) }, AlgRS256, true},
		{"ed private", func() (Key, error) { return ParsePrivateKeyPEM("e", privatePEM(t, k.ed)) }, AlgEdDSA, true},
		{"NewKey HS256", func() (Key, error) { return NewKey("", AlgHS256, []byte(testSecret)) }, AlgHS256, true},
		{"NewKey RS256 public", func() (Key, error) { return NewKey("", AlgRS256, rsaPub) }, AlgRS256, false},
		{"NewKey EdDSA private", func() (Key, error) { return NewKey("", AlgEdDSA, privatePEM(t, k.ed)) }, AlgEdDSA, true},
	}
	for _, g := range good {
		key, err := g.build()
		if err != nil {
			t.Errorf("%s: %v", g.name, err)
			continue
		}
		if key.Algorithm != g.alg || key.CanSign() != g.canSign {
			t.Errorf("%s: got %v can sign %v", g.name, key, key.CanSign())
		}
	}

	bad := []struct {
		name  string
		build func() (Key, error)
		want  string
	}{
		{"short secret", func() (Key, error) { return NewHMACKey("", "too-short") }, "at least 32"},
		{"rsa 1024", func() (Key, error) { return NewPublicKey("", &small.PublicKey) }, "1024 bits"},
		{"rsa 1024 pem", func() (Key, error) { return ParsePublicKeyPEM("", publicPEM(t, &small.PublicKey)) }, "1024 bits"},
		{"private pem as public", func() (Key, error) { return ParsePublicKeyPEM("", privatePEM(t, k.ed)) }, "only the public key"},
		{"public pem as private", func() (Key, error) { return ParsePrivateKeyPEM("", edPub) }, "not a private key"},
		{"not pem", func() (Key, error) { return ParsePublicKeyPEM("", []byte(testSecret)) }, "no PEM block"},
		{"garbage pem", func() (Key, error) {
			return ParsePublicKeyPEM("", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")}))
		}, "parse PUBLIC KEY"},
		{"NewKey alg mismatch", func() (Key, error) { return NewKey("", AlgRS256, edPub) }, "key is for EdDSA but the configuration says RS256"},
		{"NewKey unknown alg", func() (Key, error) { return NewKey("", "ES256", edPub) }, "unsupported algorithm"},
		{"NewKey none", func() (Key, error) { return NewKey("", "none", nil) }, "unsupported algorithm"},
		{"kid with space", func() (Key, error) { return NewHMACKey("a b", testSecret) }, "printable ASCII"},
		{"kid too long", func() (Key, error) { return NewHMACKey(strings.Repeat("k", 200), testSecret) }, "at most 128"},
		{"unsupported type", func() (Key, error) { return NewPublicKey("", "a string") }, "unsupported public key type"},
	}
	for _, b := range bad {
		_, err := b.build()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v; want it to mention %q", b.name, err, b.want)
		}
	}
}

func TestKeyNeverPrintsMaterial(t *testing.T) {
	hs := mustKey(t)(NewHMACKey("kid-1", testSecret))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("key", "key", hs, "secrets", Secrets{TokenSecret: testSecret, APIKey: testSecret})
	for _, s := range []string{
		fmt.Sprint(hs), fmt.Sprintf("%v %+v %#v %s", hs, hs, hs, hs), fmt.Sprintf("%+v", []Key{hs}),
		fmt.Sprintf("%+v %#v", Secrets{TokenSecret: testSecret}, Secrets{APIKey: testSecret}), buf.String(),
	} {
		if strings.Contains(s, testSecret) || strings.Contains(s, "116 101 115 116") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	if !strings.Contains(buf.String(), "kid-1") {
		t.Fatalf("log lost the key id: %s", buf.String())
	}
}

func TestKeySet(t *testing.T) {
	hs := mustKey(t)(NewHMACKey("a", testSecret))
	for _, c := range []struct {
		name string
		keys []Key
		want string
	}{
		{"empty", nil, "no token keys"},
		{"too many", []Key{hs, hs.withID("b"), hs.withID("c"), hs.withID("d"), hs.withID("e")}, "at most 4"},
		{"duplicate kid", []Key{hs, hs}, `"a" is used twice`},
		{"zero key", []Key{{}}, "not initialised"},
		{"forged algorithm", []Key{{Algorithm: AlgRS256}}, "no RSA public key"},
		{"relabelled key", []Key{hs.withAlg(AlgEdDSA)}, "no Ed25519 public key"},
	} {
		if _, err := NewKeySet(c.keys...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want %q", c.name, err, c.want)
		}
	}
}

func (k Key) withID(id string) Key   { k.ID = id; return k }
func (k Key) withAlg(alg string) Key { k.Algorithm = alg; return k }

// Rotation: old and new keys are both configured; tokens of either are
// accepted, a kid routes to exactly one key.
func TestKeyRotation(t *testing.T) {
	k := testKeys(t)
	oldKey := mustKey(t)(NewHMACKey("", testSecret))
	newKey := mustKey(t)(NewHMACKey("k2", testSecret+"-new"))
	edKey := mustKey(t)(NewPrivateKey("ed", k.ed))
	v := mustVerifier(t, VerifierConfig{Keys: mustKeySet(t, oldKey, newKey, edKey.Public())})
	mint := func(key Key) string {
		tok, err := Mint(key, MintClaims{User: "u", TTL: time.Hour, IssuedAt: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for name, tok := range map[string]string{
		"old key":          mint(oldKey),
		"new key with kid": mint(newKey),
		"new key, no kid":  mint(newKey.withID("")),
		"ed25519 with kid": mint(edKey),
		"ed25519, no kid":  mint(edKey.withID("")),
	} {
		if _, err := v.VerifyConnect(tok, testNow); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	// The old secret under the new key's kid: only k2 is tried.
	_, err := v.VerifyConnect(mint(oldKey.withID("k2")), testNow)
	wantInvalid(t, err, "signature is invalid")
	_, err = v.VerifyConnect(mint(oldKey.withID("k9")), testNow)
	wantInvalid(t, err, `key id "k9" is not configured`)
	_, err = v.VerifyConnect(mint(edKey.withID("k2")), testNow)
	wantInvalid(t, err, `signed with EdDSA but key "k2" expects HS256`)
	_, err = v.VerifyConnect(mint(mustKey(t)(NewHMACKey("", testSecret+"-unknown"))), testNow)
	wantInvalid(t, err, "signature is invalid")
}

func TestFingerprintsTellKeysApartWithoutShowingThem(t *testing.T) {
	secret := strings.Repeat("s", 32)
	a, err := NewHMACKey("a", secret)
	if err != nil {
		t.Fatal(err)
	}
	sameSecret, _ := NewHMACKey("other-id", secret)
	otherSecret, _ := NewHMACKey("a", strings.Repeat("t", 32))
	if a.Fingerprint() != sameSecret.Fingerprint() {
		t.Fatal("one secret under two ids has two fingerprints; the id must not count")
	}
	if a.Fingerprint() == otherSecret.Fingerprint() {
		t.Fatal("two secrets share a fingerprint")
	}
	if fp := a.Fingerprint(); len(fp) != 16 || strings.Contains(fp, "sss") {
		t.Fatalf("fingerprint %q: want 16 hex digits and nothing of the secret", fp)
	}
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := NewPublicKey("e", pub)
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewKeySet(a, ek)
	if err != nil {
		t.Fatal(err)
	}
	fps := set.Fingerprints()
	if len(fps) != 2 || fps["a"] != a.Fingerprint() || fps["e"] != ek.Fingerprint() || fps["e"] == fps["a"] {
		t.Fatalf("key set fingerprints %v", fps)
	}
	if SecretFingerprint(secret) != a.Fingerprint() {
		t.Fatal("an API key and a token key with the same secret must compare equal through SecretFingerprint")
	}
}
