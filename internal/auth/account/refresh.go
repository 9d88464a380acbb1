package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// A refresh token is
//
//	lrr1.<user>.<session>.<generation>.<mac>
//
// where mac is the unpadded base64url HMAC-SHA256, under the session's
// own random key, of "liveroom refresh v1", the user, the session and the
// generation. Only the current generation may be exchanged (which issues
// the next one); since every generation's MAC checks out, a genuine older
// token is recognised as a reused one (the session is ended as stolen),
// while a forged one is merely refused and ends nothing — so knowing a
// session id is not enough to sign someone out. Nothing about the token
// needs to be stored but the key and the current generation.
const refreshPrefix = "lrr1"

// maxRefreshTokenBytes bounds a refresh token before it is parsed.
const maxRefreshTokenBytes = 256

type refreshToken struct {
	user, session string
	gen           uint64
	mac           []byte
}

func newSessionKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

func refreshMAC(key []byte, user, session string, gen uint64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("liveroom refresh v1\x00"))
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(session))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatUint(gen, 10)))
	return m.Sum(nil)
}

func formatRefresh(key []byte, user, session string, gen uint64) string {
	return refreshPrefix + "." + user + "." + session + "." + strconv.FormatUint(gen, 10) + "." +
		base64.RawURLEncoding.EncodeToString(refreshMAC(key, user, session, gen))
}

// parseRefresh splits a refresh token without trusting it; ok is false
// for anything not shaped like one.
func parseRefresh(s string) (refreshToken, bool) {
	if len(s) > maxRefreshTokenBytes {
		return refreshToken{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) != 5 || parts[0] != refreshPrefix || !validID(parts[1]) || !validSessionID(parts[2]) {
		return refreshToken{}, false
	}
	gen, err := strconv.ParseUint(parts[3], 10, 64)
	if err != nil || gen == 0 || parts[3] != strconv.FormatUint(gen, 10) {
		return refreshToken{}, false
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(mac) != sha256.Size {
		return refreshToken{}, false
	}
	return refreshToken{user: parts[1], session: parts[2], gen: gen, mac: mac}, true
}

// genuine reports whether t's MAC is right under key.
func (t refreshToken) genuine(key []byte) bool {
	return hmac.Equal(t.mac, refreshMAC(key, t.user, t.session, t.gen))
}
