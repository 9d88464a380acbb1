package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// APIKeyMatches reports whether presented (the X-API-Key header of a server
// API request) equals the configured key, in time that depends on neither
// the key's content nor its length: both are hashed with SHA-256 and the
// digests compared in constant time. An empty configured key matches
// nothing, so an unset key never opens the API.
func APIKeyMatches(presented, configured string) bool {
	if configured == "" {
		return false
	}
	p := sha256.Sum256([]byte(presented))
	c := sha256.Sum256([]byte(configured))
	return subtle.ConstantTimeCompare(p[:], c[:]) == 1
}

// BearerToken extracts the token from an Authorization header value of the
// form "Bearer <token>" (RFC 6750 §2.1; the scheme is case-insensitive).
// It does not look at the token itself: VerifyConnect checks its length and
// shape before anything else, so a huge or malformed value costs no more
// here than a slice.
func BearerToken(authorization string) (token string, ok bool) {
	const scheme = "bearer "
	if len(authorization) <= len(scheme) || !strings.EqualFold(authorization[:len(scheme)], scheme) {
		return "", false
	}
	token = strings.TrimLeft(authorization[len(scheme):], " ")
	return token, token != ""
}
