package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
)

// Fingerprints let the nodes of a cluster find out that they were given
// different keys (a token one node accepts would be refused by another)
// without telling each other the keys: each is a one-way digest, 64 bits
// of an HMAC-SHA256 keyed with the secret (RFC 2104) for a shared secret,
// or of a SHA-256 of the public key (its PKIX DER form) for a key pair.
// Anyone who reads a fingerprint can test a guess of the secret against
// it, so secrets must be random, as [[auth.keys]] and api.key ask.

// fingerprintLabel is what a secret's HMAC is taken over.
const fingerprintLabel = "liveroom key fingerprint v1"

// digest64 is the first 64 bits of sum, in hex.
func digest64(sum []byte) string { return hex.EncodeToString(sum[:8]) }

// SecretFingerprint is the fingerprint of a shared secret (an HS256 key
// or the server API key): 16 hex digits.
func SecretFingerprint(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(fingerprintLabel))
	return digest64(m.Sum(nil))
}

// Fingerprint is the key's fingerprint (16 hex digits), which depends on
// its algorithm and material, not on its id.
func (k Key) Fingerprint() string {
	if k.secret != nil {
		return SecretFingerprint(string(k.secret))
	}
	der, err := x509.MarshalPKIXPublicKey(k.public)
	if err != nil {
		// Only key types the package accepts get here; name the failure
		// rather than make two different keys look alike.
		return "unmarshalable:" + err.Error()
	}
	sum := sha256.Sum256(append([]byte(k.Algorithm+":"), der...))
	return digest64(sum[:])
}

// Fingerprints returns the fingerprint of every key, by key id; a key
// without an id is named by its position in the set ("#1", "#2", …).
func (s *KeySet) Fingerprints() map[string]string {
	out := make(map[string]string, len(s.keys))
	for i, k := range s.keys {
		name := k.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		out[name] = k.Fingerprint()
	}
	return out
}
