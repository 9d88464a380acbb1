package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Algorithms liveroom accepts, spelled exactly as in a JWS "alg" header
// (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	AlgHS256 = "HS256" // HMAC with SHA-256, shared secret
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, RSA ≥ 2048 bits
	AlgEdDSA = "EdDSA" // Ed25519
)

// Limits on configured key material.
const (
	// MinHMACSecretLen is the shortest HS256 secret accepted: RFC 7518 §3.2
	// requires a key at least as long as the hash output (256 bits).
	MinHMACSecretLen = 32
	// MinRSABits is the smallest RSA modulus accepted for RS256.
	MinRSABits = 2048
	// maxKeyIDLen bounds a configured kid.
	maxKeyIDLen = 128
)

// Key is one configured token key. The algorithm belongs to the key, never
// to the token: a token verified with this key must say exactly Algorithm in
// its header.
//
// The zero Key is not usable; build one with NewHMACKey, NewPublicKey,
// NewPrivateKey, ParsePublicKeyPEM, ParsePrivateKeyPEM or NewKey. Printing a
// Key (fmt, slog) shows its ID and algorithm only, never its material.
type Key struct {
	// ID is the key id matched against a token's "kid" header; optional.
	ID string
	// Algorithm is AlgHS256, AlgRS256 or AlgEdDSA.
	Algorithm string

	secret  []byte           // HS256 only
	public  crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey
	private crypto.Signer    // *rsa.PrivateKey or ed25519.PrivateKey; nil when verify-only
}

// NewHMACKey returns an HS256 key for a shared secret (as written in the
// config; its bytes are the HMAC key). The secret must be at least
// MinHMACSecretLen bytes.
func NewHMACKey(id, secret string) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	if len(secret) < MinHMACSecretLen {
		return Key{}, fmt.Errorf("HS256 secret is %d bytes; at least %d are required (RFC 7518 §3.2)", len(secret), MinHMACSecretLen)
	}
	return Key{ID: id, Algorithm: AlgHS256, secret: []byte(secret)}, nil
}

// NewPublicKey returns a verify-only key for an *rsa.PublicKey (RS256) or an
// ed25519.PublicKey (EdDSA).
func NewPublicKey(id string, pub crypto.PublicKey) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return Key{}, errors.New("RSA public key is empty")
		}
		if bits := p.N.BitLen(); bits < MinRSABits {
			return Key{}, fmt.Errorf("RSA key is %d bits; RS256 needs at least %d", bits, MinRSABits)
		}
		return Key{ID: id, Algorithm: AlgRS256, public: p}, nil
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return Key{}, fmt.Errorf("Ed25519 public key is %d bytes, want %d", len(p), ed25519.PublicKeySize)
		}
		return Key{ID: id, Algorithm: AlgEdDSA, public: p}, nil
	default:
		return Key{}, fmt.Errorf("unsupported public key type %T: use an RSA (RS256) or Ed25519 (EdDSA) key", pub)
	}
}

// NewPrivateKey returns a key that can both mint and verify, for an
// *rsa.PrivateKey (RS256) or an ed25519.PrivateKey (EdDSA).
func NewPrivateKey(id string, priv crypto.Signer) (Key, error) {
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if p == nil {
			return Key{}, errors.New("RSA private key is nil")
		}
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize {
			return Key{}, fmt.Errorf("Ed25519 private key is %d bytes, want %d", len(p), ed25519.PrivateKeySize)
		}
	default:
		return Key{}, fmt.Errorf("unsupported private key type %T: use an RSA (RS256) or Ed25519 (EdDSA) key", priv)
	}
	k, err := NewPublicKey(id, priv.Public())
	if err != nil {
		return Key{}, err
	}
	k.private = priv
	return k, nil
}

// ParsePublicKeyPEM reads the first PEM block of a public key file: a
// "PUBLIC KEY" (PKIX: RSA or Ed25519), an "RSA PUBLIC KEY" (PKCS #1) or a
// "CERTIFICATE" whose key is used. The algorithm follows from the key type.
func ParsePublicKeyPEM(id string, data []byte) (Key, error) {
	block, err := firstPEMBlock(data)
	if err != nil {
		return Key{}, err
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return Key{}, fmt.Errorf("PEM block is a %q; the verifying side needs only the public key (PUBLIC KEY)", block.Type)
		}
		return Key{}, fmt.Errorf("PEM block type %q is not a public key; want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
	}
	if err != nil {
		return Key{}, fmt.Errorf("parse %s PEM block: %w", block.Type, err)
	}
	return NewPublicKey(id, pub)
}

// ParsePrivateKeyPEM reads the first PEM block of a private key file: a
// "PRIVATE KEY" (PKCS #8: RSA or Ed25519) or an "RSA PRIVATE KEY" (PKCS #1).
// Encrypted keys are not supported.
func ParsePrivateKeyPEM(id string, data []byte) (Key, error) {
	block, err := firstPEMBlock(data)
	if err != nil {
		return Key{}, err
	}
	var priv any
	switch block.Type {
	case "PRIVATE KEY":
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return Key{}, errors.New("encrypted private keys are not supported; decrypt it (openssl pkey -in key.pem -out plain.pem)")
	default:
		return Key{}, fmt.Errorf("PEM block type %q is not a private key; want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if err != nil {
		return Key{}, fmt.Errorf("parse %s PEM block: %w", block.Type, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return Key{}, fmt.Errorf("unsupported private key type %T", priv)
	}
	return NewPrivateKey(id, signer)
}

// NewKey builds a key from what a config file gives: for HS256 material is
// the secret; for RS256 and EdDSA it is PEM text holding a public key (to
// verify) or a private key (to verify and mint). The key in the PEM must be
// of the algorithm named.
func NewKey(id, algorithm string, material []byte) (Key, error) {
	var k Key
	var err error
	switch algorithm {
	case AlgHS256:
		return NewHMACKey(id, string(material))
	case AlgRS256, AlgEdDSA:
		if block, _ := pem.Decode(material); block != nil && strings.Contains(block.Type, "PRIVATE") {
			k, err = ParsePrivateKeyPEM(id, material)
		} else {
			k, err = ParsePublicKeyPEM(id, material)
		}
	default:
		return Key{}, fmt.Errorf("unsupported algorithm %q: use %s, %s or %s", algorithm, AlgHS256, AlgRS256, AlgEdDSA)
	}
	if err != nil {
		return Key{}, err
	}
	if k.Algorithm != algorithm {
		return Key{}, fmt.Errorf("key is for %s but the configuration says %s", k.Algorithm, algorithm)
	}
	return k, nil
}

// CanSign reports whether Mint can use this key (an HMAC secret or a
// private key).
func (k Key) CanSign() bool { return k.secret != nil || k.private != nil }

// Public returns a verify-only copy of k: for RS256 and EdDSA without the
// private key. An HS256 key is returned unchanged (the secret does both).
func (k Key) Public() Key {
	k.private = nil
	return k
}

// PublicKey returns the RSA or Ed25519 public key, or nil for HS256.
func (k Key) PublicKey() crypto.PublicKey { return k.public }

// String describes the key without its material.
func (k Key) String() string {
	if k.ID == "" {
		return "Key{" + k.Algorithm + "}"
	}
	return "Key{" + k.Algorithm + " kid=" + k.ID + "}"
}

// GoString keeps %#v from printing the secret.
func (k Key) GoString() string { return k.String() }

// LogValue keeps slog from printing the secret.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.ID), slog.String("alg", k.Algorithm))
}

// verificationKey is what the jwt signing method expects in Verify.
func (k Key) verificationKey() any {
	if k.Algorithm == AlgHS256 {
		return k.secret
	}
	return k.public
}

// signingKey is what the jwt signing method expects in Sign.
func (k Key) signingKey() (any, error) {
	switch {
	case k.Algorithm == AlgHS256 && k.secret != nil:
		return k.secret, nil
	case k.private != nil:
		return k.private, nil
	case k.Algorithm == "":
		return nil, errors.New("key is not initialised")
	default:
		return nil, fmt.Errorf("%v holds only a public key; minting needs the private key", k)
	}
}

func checkKeyID(id string) error {
	if len(id) > maxKeyIDLen {
		return fmt.Errorf("key id is %d bytes; at most %d allowed", len(id), maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("key id %q: only printable ASCII without spaces is allowed", id)
		}
	}
	return nil
}

func firstPEMBlock(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found; expected text starting with -----BEGIN")
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("PEM block %q has headers (encrypted?); use an unencrypted key", block.Type)
	}
	return block, nil
}
