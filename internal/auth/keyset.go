package auth

import (
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// MaxKeys is the most keys a KeySet holds. A token without a "kid" is tried
// against every key of its algorithm, so the bound keeps the cost of a bad
// token at a few signature checks. Rotation needs two.
const MaxKeys = 4

// KeySet is the ordered set of keys tokens are verified with. It is
// immutable and safe for concurrent use.
//
// Selection: a token with a "kid" header is verified only with the key of
// that ID (an unknown kid is invalid); a token without one is tried against
// the keys whose algorithm equals its "alg", in configuration order. Either
// way the token's "alg" must be exactly the chosen key's algorithm.
type KeySet struct {
	keys []Key
	// byAlg holds, per algorithm present, what the jwt key function returns
	// for a token without a kid: a single verification key, or a
	// jwt.VerificationKeySet when several keys share the algorithm.
	byAlg map[string]any
	// algs lists the algorithms present, in first-seen order.
	algs []string
}

// NewKeySet checks and holds keys (1 to MaxKeys; IDs, where given, unique).
func NewKeySet(keys ...Key) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("no token keys configured")
	}
	if len(keys) > MaxKeys {
		return nil, fmt.Errorf("%d token keys configured; at most %d are allowed (enough for a rotation)", len(keys), MaxKeys)
	}
	s := &KeySet{keys: make([]Key, len(keys)), byAlg: make(map[string]any)}
	grouped := make(map[string][]jwt.VerificationKey)
	seen := make(map[string]bool)
	for i, k := range keys {
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("token key %d: %w", i+1, err)
		}
		if k.ID != "" {
			if seen[k.ID] {
				return nil, fmt.Errorf("token key %d: key id %q is used twice", i+1, k.ID)
			}
			seen[k.ID] = true
		}
		s.keys[i] = k
		if _, ok := grouped[k.Algorithm]; !ok {
			s.algs = append(s.algs, k.Algorithm)
		}
		grouped[k.Algorithm] = append(grouped[k.Algorithm], k.verificationKey())
	}
	for alg, vks := range grouped {
		if len(vks) == 1 {
			s.byAlg[alg] = vks[0]
		} else {
			s.byAlg[alg] = jwt.VerificationKeySet{Keys: vks}
		}
	}
	return s, nil
}

// Keys returns a copy of the keys in configuration order.
func (s *KeySet) Keys() []Key { return append([]Key(nil), s.keys...) }

// Algorithms returns the algorithms of the keys, in configuration order,
// each once.
func (s *KeySet) Algorithms() []string { return append([]string(nil), s.algs...) }

func (s *KeySet) byID(kid string) (Key, bool) {
	for _, k := range s.keys {
		if k.ID != "" && k.ID == kid {
			return k, true
		}
	}
	return Key{}, false
}

// expects describes the accepted algorithms for messages: "HS256", or
// "HS256 or RS256".
func (s *KeySet) expects() string { return strings.Join(s.algs, " or ") }

// check reports whether k was built by one of the constructors.
func (k Key) check() error {
	switch k.Algorithm {
	case AlgHS256:
		if len(k.secret) < MinHMACSecretLen {
			return errors.New("HS256 key has no usable secret; build it with NewHMACKey")
		}
	case AlgRS256:
		if _, ok := k.public.(*rsa.PublicKey); !ok {
			return errors.New("RS256 key has no RSA public key; build it with ParsePublicKeyPEM")
		}
	case AlgEdDSA:
		if _, ok := k.public.(ed25519.PublicKey); !ok {
			return errors.New("EdDSA key has no Ed25519 public key; build it with ParsePublicKeyPEM")
		}
	case "":
		return errors.New("key is not initialised")
	default:
		return fmt.Errorf("unsupported algorithm %q", k.Algorithm)
	}
	return checkKeyID(k.ID)
}
