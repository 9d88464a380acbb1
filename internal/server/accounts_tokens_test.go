package server_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Refresh-token reuse: the first exchange rotates; presenting the old
// token again (after the reuse window) ends the session, closes its live
// connection with 4507, and kills the new refresh token too.
func TestRefreshTokenReuseEndsTheSession(t *testing.T) {
	node := startAccounts(t, func(c *config.Config) { c.Accounts.RefreshReuseWindow = 0 })
	g := acctSignUp(t, node, "bo@example.com", "Bo")

	r := postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": g.RefreshToken})
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	var g2 grantResp
	r.decode(t, &g2)
	if g2.RefreshToken == "" || g2.RefreshToken == g.RefreshToken || g2.Session != g.Session {
		t.Fatalf("rotation: %s", r.body)
	}
	live := dialP(t, node.WSURL)
	live.connect(g2.Token)

	// A copy of the first token is used (by a thief, or the owner: no
	// way to tell), so the session ends for both.
	r = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": g.RefreshToken})
	wantRefusal(t, "reused refresh token", r, http.StatusUnauthorized, wire.CodeSessionRevoked, "refresh token was used twice")
	if code, reason := live.closed(testTimeout); code != 4507 || reason != wire.DisconnectRefreshReused.Reason {
		t.Fatalf("live connection closed with %d %q; want 4507", code, reason)
	}
	r = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": g2.RefreshToken})
	wantRefusal(t, "current refresh token after reuse", r, http.StatusUnauthorized, wire.CodeSessionRevoked, "refresh token was used twice")

	// A forged token naming the session changes nothing for anyone.
	r = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": g2.RefreshToken[:len(g2.RefreshToken)-3] + "abc"})
	wantRefusal(t, "forged refresh token", r, http.StatusUnauthorized, wire.CodeNotSignedIn, "not valid")
}

// An expired session gets "session expired — sign in again" (code 1102),
// not a generic error; so does a connection token of it at connect.
func TestExpiredSessionSaysSo(t *testing.T) {
	node := startAccounts(t, func(c *config.Config) {
		c.Accounts.TokenTTL = config.Duration(time.Second)
		c.Accounts.IdleTimeout = config.Duration(time.Second)
		c.Accounts.MaxAge = config.Duration(2 * time.Second)
	})
	g := acctSignUp(t, node, "cy@example.com", "Cy")
	refresh := g.RefreshToken
	var last httpResult
	// Keep refreshing (never idle) until the absolute lifetime ends it.
	testkit.Eventually(t, 10*time.Second, func() bool {
		last = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": refresh})
		if last.status == http.StatusOK {
			var ng grantResp
			last.decode(t, &ng)
			refresh = ng.RefreshToken
			return false
		}
		return true
	}, "the session to reach its absolute lifetime")
	wantRefusal(t, "refresh of an expired session", last, http.StatusUnauthorized, wire.CodeSessionExpired, "session expired — sign in again")

	// Idle: a session left alone past idle_timeout.
	g = acctSignIn(t, node, "cy@example.com", "tablet")
	testkit.Eventually(t, 10*time.Second, func() bool {
		last = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": g.RefreshToken})
		return last.status != http.StatusOK
	}, "the idle session to expire")
	wantRefusal(t, "refresh of an idle session", last, http.StatusUnauthorized, wire.CodeSessionExpired, "session expired — sign in again")
}

// The server API for apps with their own login: block and unblock a user,
// revoke every token issued before a moment. Live connections close at
// once; later connects follow the decision.
func TestServerAPIBlockAndRevokeTokens(t *testing.T) {
	node := startAccounts(t, nil)
	old := node.Mint(auth.MintClaims{User: "app-7", TTL: time.Hour, IssuedAt: time.Now().Add(-time.Minute)})
	c := dialP(t, node.WSURL)
	c.connect(old)
	other := dialP(t, node.WSURL)
	other.connect(node.Token("app-8"))

	if s := node.API("block_user", map[string]string{"user": "app-7", "reason": "chargeback"}, nil); s != http.StatusOK {
		t.Fatalf("block_user: %d", s)
	}
	if code, reason := c.closed(testTimeout); code != 4502 || reason != "account blocked: chargeback" {
		t.Fatalf("blocked user's connection closed with %d %q", code, reason)
	}
	refused := func(token string, want uint32) {
		t.Helper()
		r := dialP(t, node.WSURL)
		if err := r.send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}}); err != nil {
			t.Fatal(err)
		}
		if code, _ := r.closed(testTimeout); code != int(want) {
			t.Fatalf("connect closed with %d; want %d", code, want)
		}
	}
	refused(node.Token("app-7"), 4502)
	var st map[string]any
	node.API("user_status", map[string]string{"user": "app-7"}, &st)
	if st["blocked"] != true || st["blocked_reason"] != "chargeback" {
		t.Fatalf("user_status %v", st)
	}
	node.API("unblock_user", map[string]string{"user": "app-7"}, nil)
	c = dialP(t, node.WSURL)
	c.connect(old)

	var rv struct {
		RevokedBefore int64 `json:"revoked_before"`
	}
	if s := node.API("revoke_tokens", map[string]any{"user": "app-7"}, &rv); s != http.StatusOK || rv.RevokedBefore < time.Now().Unix() {
		t.Fatalf("revoke_tokens: %d %+v", s, rv)
	}
	if code, _ := c.closed(testTimeout); code != 4503 {
		t.Fatalf("old-token connection closed with %d; want 4503", code)
	}
	refused(old, 4503)
	fresh := node.Mint(auth.MintClaims{User: "app-7", TTL: time.Hour, IssuedAt: time.Unix(rv.RevokedBefore, 0)})
	c = dialP(t, node.WSURL)
	c.connect(fresh)
	other.sync() // another user is never touched

	for _, bad := range []map[string]any{{"user": ""}, {"user": "x", "extra": 1}, {"user": "x", "before": -5},
		// Milliseconds by mistake, and a year far ahead: refused, not
		// stored (either would lock the user out until then).
		{"user": "app-7", "before": time.Now().UnixMilli()}, {"user": "app-7", "before": 99999999999},
		// Past what a time can hold: it wrapped around to year 1 and
		// answered 200 with revoked_before -62135596800, revoking nothing.
		{"user": "fresh-9", "before": int64(math.MaxInt64)}} {
		if s := node.API("revoke_tokens", bad, nil); s != http.StatusBadRequest {
			t.Fatalf("revoke_tokens %v: %d; want 400", bad, s)
		}
	}
	var refusal struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	node.API("revoke_tokens", map[string]any{"user": "app-7", "before": time.Now().UnixMilli()}, &refusal)
	if m := refusal.Error.Message; !strings.Contains(m, " days ahead") || !strings.Contains(m, "not milliseconds") || strings.Contains(m, "2562047h") {
		t.Fatalf("revoke_tokens in milliseconds: %q; want the real gap in days and the hint about seconds", m)
	}
	var status struct {
		RevokedBefore int64 `json:"revoked_before"`
	}
	if s := node.API("user_status", map[string]any{"user": "app-7"}, &status); s != http.StatusOK || status.RevokedBefore != rv.RevokedBefore {
		t.Fatalf("user_status after refused revocations: %d %+v; want revoked_before %d", s, status, rv.RevokedBefore)
	}
}

// Sessions of liveroom accounts end through the server API and through
// an admin account; other users cannot.
func TestAdminsRevokeSessions(t *testing.T) {
	node := startAccounts(t, nil)
	adm := acctSignUp(t, node, "root@example.com", "Root")
	u := acctSignUp(t, node, "user@example.com", "User")
	live := dialP(t, node.WSURL)
	live.connect(u.Token)

	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/admin/revoke", bearer: u.Token, body: map[string]string{"user": adm.User.ID}})
	wantRefusal(t, "non-admin revoking", r, http.StatusForbidden, wire.CodePermissionDenied, "only admins")

	var role map[string]any
	if s := node.API("set_role", map[string]string{"user": adm.User.ID, "role": "admin"}, &role); s != http.StatusOK {
		t.Fatalf("set_role: %d %v", s, role)
	}
	dev := &nativeDevice{t: t, node: node, refresh: adm.RefreshToken}
	admToken, _ := dev.token() // a token minted after the role change
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/admin/revoke", bearer: admToken, body: map[string]string{"user": u.User.ID}})
	if r.status != http.StatusOK {
		t.Fatalf("admin revoke: %d %s", r.status, r.body)
	}
	if code, reason := live.closed(testTimeout); code != 4506 || reason != "session revoked by an administrator" {
		t.Fatalf("user's connection closed with %d %q", code, reason)
	}

	u2 := acctSignIn(t, node, "user@example.com", "second")
	var out struct {
		Revoked int `json:"revoked"`
	}
	if s := node.API("revoke_sessions", map[string]string{"user": u.User.ID}, &out); s != http.StatusOK || out.Revoked != 1 {
		t.Fatalf("revoke_sessions: %d %+v", s, out)
	}
	r = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": u2.RefreshToken})
	wantRefusal(t, "refresh after revoke_sessions", r, http.StatusUnauthorized, wire.CodeSessionRevoked, "administrator")
	if s := node.API("revoke_sessions", map[string]string{"user": u.User.ID, "session": "lrs_NOPE"}, nil); s != http.StatusNotFound {
		t.Fatalf("revoke_sessions of an unknown session: %d; want 404", s)
	}
}
