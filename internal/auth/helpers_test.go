package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the clock of every verification in these tests.
var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	testSecret   = "test-secret-0123456789abcdef-0123456789"
	testAudience = "liveroom-test"
)

// testKeyMaterial is generated once per test binary: RSA generation is slow.
type testKeyMaterial struct {
	rsa, rsaOther *rsa.PrivateKey
	ed, edOther   ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keysVal  testKeyMaterial
)

func testKeys(tb testing.TB) testKeyMaterial {
	tb.Helper()
	keysOnce.Do(func() {
		var err error
		if keysVal.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keysVal.rsaOther, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		keysVal.ed = ed25519.NewKeyFromSeed([]byte("liveroom-test-ed25519-seed-00001"))
		keysVal.edOther = ed25519.NewKeyFromSeed([]byte("liveroom-test-ed25519-seed-00002"))
	})
	return keysVal
}

// mustKey(t)(NewHMACKey(...)) fails the test on a constructor error.
func mustKey(tb testing.TB) func(Key, error) Key {
	return func(k Key, err error) Key {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
}

func mustKeySet(tb testing.TB, keys ...Key) *KeySet {
	tb.Helper()
	s, err := NewKeySet(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustVerifier(tb testing.TB, cfg VerifierConfig) *Verifier {
	tb.Helper()
	v, err := NewVerifier(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func publicPEM(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func privatePEM(tb testing.TB, priv crypto.PrivateKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Raw signers: the forged tokens below are built by hand, byte for byte,
// without the library under test.
type signFunc func(input string) []byte

func hmacSigner(secret []byte) signFunc {
	return func(input string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
}

func rsaSigner(priv *rsa.PrivateKey) signFunc {
	return func(input string) []byte {
		d := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func rsaPSSSigner(priv *rsa.PrivateKey) signFunc {
	return func(input string) []byte {
		d := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func edSigner(priv ed25519.PrivateKey) signFunc {
	return func(input string) []byte { return ed25519.Sign(priv, []byte(input)) }
}

func emptySigner(string) []byte { return nil }

var b64 = base64.RawURLEncoding

// craft builds a compact JWS from a literal header and payload.
func craft(header, payload string, sign signFunc) string {
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	return input + "." + b64.EncodeToString(sign(input))
}

// flipLastSigByte decodes the signature, flips the bits of its last byte and
// re-encodes it.
func flipLastSigByte(tb testing.TB, token string) string {
	tb.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := b64.DecodeString(token[i+1:])
	if err != nil || len(sig) == 0 {
		tb.Fatalf("bad signature segment: %v", err)
	}
	sig[len(sig)-1] ^= 0xff
	return token[:i+1] + b64.EncodeToString(sig)
}

// wantInvalid asserts err is an invalid-token error (not expiry) whose
// message contains want.
func wantInvalid(tb testing.TB, err error, want string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("token accepted; want invalid (%q)", want)
	}
	if !errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrTokenExpired) {
		tb.Fatalf("error %q: want ErrInvalidToken only", err)
	}
	var te *TokenError
	if !errors.As(err, &te) {
		tb.Fatalf("error %q is %T, not *TokenError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		tb.Fatalf("error %q does not mention %q", err, want)
	}
}
