package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/wire"
)

// Browsers get the refresh token as a Secure, HttpOnly, SameSite=Strict,
// __Host- cookie, never in the body; the cookie is accepted only on a
// same-origin JSON POST (CSRF), never without an Origin; signing out
// clears it.
func TestSessionCookieAndCSRF(t *testing.T) {
	node := startAccounts(t, nil)
	own := node.BaseURL
	browser := map[string]string{"Origin": own, "Sec-Fetch-Site": "same-origin"}
	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/signup", header: browser,
		body: map[string]string{"email": "eve@example.com", "password": "correct horse battery", "name": "Eve"}})
	if r.status != http.StatusCreated {
		t.Fatalf("browser sign-up: %d %s", r.status, r.body)
	}
	var g grantResp
	r.decode(t, &g)
	c := r.cookie()
	switch {
	case g.RefreshToken != "":
		t.Fatal("a browser got its refresh token in the body")
	case c == nil:
		t.Fatalf("no session cookie: %v", r.header["Set-Cookie"])
	case !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" || c.MaxAge <= 0:
		t.Fatalf("session cookie %q lacks Secure, HttpOnly, SameSite=Strict, Path=/ or a lifetime", r.header.Get("Set-Cookie"))
	}
	if r.header.Get("Access-Control-Allow-Origin") != own || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", r.header)
	}

	// Refresh with the cookie: same origin, JSON, POST.
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/refresh", header: browser, cookie: c.Value, raw: []byte("{}")})
	if r.status != http.StatusOK || r.cookie() == nil || r.cookie().Value == c.Value {
		t.Fatalf("cookie refresh: %d %s (cookie %v)", r.status, r.body, r.cookie())
	}
	cur := r.cookie().Value

	for _, tc := range []struct {
		name   string
		call   httpCall
		status int
		code   uint32
	}{
		{"no Origin (not a browser page)", httpCall{method: http.MethodPost, path: "/account/refresh", cookie: cur, raw: []byte("{}")},
			http.StatusForbidden, wire.CodeOriginRefused},
		{"another site", httpCall{method: http.MethodPost, path: "/account/refresh", cookie: cur, raw: []byte("{}"),
			header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden, wire.CodeOriginRefused},
		{"look-alike origin", httpCall{method: http.MethodPost, path: "/account/refresh", cookie: cur, raw: []byte("{}"),
			header: map[string]string{"Origin": own + ".evil.example"}}, http.StatusForbidden, wire.CodeOriginRefused},
		{"null origin", httpCall{method: http.MethodPost, path: "/account/refresh", cookie: cur, raw: []byte("{}"),
			header: map[string]string{"Origin": "null"}}, http.StatusForbidden, wire.CodeOriginRefused},
		{"marked cross-site", httpCall{method: http.MethodPost, path: "/account/refresh", cookie: cur, raw: []byte("{}"),
			header: map[string]string{"Origin": own, "Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden, wire.CodeOriginRefused},
		{"form post", httpCall{method: http.MethodPost, path: "/account/refresh", cookie: cur, raw: []byte("a=b"),
			header: map[string]string{"Origin": own, "Content-Type": "application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType, wire.CodeBadRequest},
		{"GET", httpCall{method: http.MethodGet, path: "/account/refresh", cookie: cur, header: browser}, http.StatusMethodNotAllowed, wire.CodeBadRequest},
	} {
		r := doHTTP(t, node, tc.call)
		if r.status != tc.status || r.errCode() != tc.code || r.cookie() != nil {
			t.Errorf("%s: %d %s; want %d code %d and no new cookie", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	// None of them used the cookie: it is still the current one.
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/signout", header: browser, cookie: cur, raw: []byte("{}")})
	if r.status != http.StatusOK || r.cookie() == nil || r.cookie().MaxAge >= 0 {
		t.Fatalf("sign-out: %d %s, cookie %v; want it cleared", r.status, r.body, r.cookie())
	}
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/refresh", header: browser, cookie: cur, raw: []byte("{}")})
	wantRefusal(t, "refresh after sign-out", r, http.StatusUnauthorized, wire.CodeSessionRevoked, "signed out")

	// A browser page on another origin cannot even sign in (login CSRF).
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/signin", header: map[string]string{"Origin": "https://evil.example"},
		body: map[string]string{"email": "eve@example.com", "password": "correct horse battery"}})
	wantRefusal(t, "sign-in from another origin", r, http.StatusForbidden, wire.CodeOriginRefused, "not allowed")
}

// With an allow list, another origin of the app may call the account
// endpoints with CORS (preflight answered for it alone).
func TestAccountCORSForAllowedOrigins(t *testing.T) {
	node := startAccounts(t, func(c *config.Config) { c.Web.AllowedOrigins = []string{"https://app.example.com"} })
	pre := func(o string) httpResult {
		return doHTTP(t, node, httpCall{method: http.MethodOptions, path: "/account/signin", header: map[string]string{
			"Origin": o, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}})
	}
	r := pre("https://app.example.com")
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight from the allowed origin: %d %v", r.status, r.header)
	}
	for _, o := range []string{"https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", node.BaseURL, "null"} {
		if r := pre(o); r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: %d %v; want 403 without CORS headers", o, r.status, r.header)
		}
	}
}

// The site and every other answer carry security headers; the site's
// Content Security Policy is strict (no inline code, no other origins,
// no framing, Trusted Types).
func TestSecurityHeaders(t *testing.T) {
	node := startAccounts(t, func(c *config.Config) { c.Web.HSTSMaxAge = config.Duration(24 * 3600 * 1e9) })
	for _, path := range []string{"/", "/account.html"} {
		r := doHTTP(t, node, httpCall{method: http.MethodGet, path: path})
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
			"frame-ancestors 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("GET %s: CSP %q allows unsafe sources or wildcards", path, csp)
		}
	}
	for _, path := range []string{"/", "/healthz", "/account/me", "/api/info", "/connection/websocket"} {
		r := doHTTP(t, node, httpCall{method: http.MethodGet, path: path})
		for h, want := range map[string]string{
			"X-Content-Type-Options":     "nosniff",
			"X-Frame-Options":            "DENY",
			"Referrer-Policy":            "no-referrer",
			"Cross-Origin-Opener-Policy": "same-origin",
			"Strict-Transport-Security":  "max-age=86400; includeSubDomains",
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("GET %s: %s = %q; want %q", path, h, got, want)
			}
		}
		if path != "/" && !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", path, r.header.Get("Content-Security-Policy"))
		}
	}
	// DNS rebinding: a loopback node answers only to loopback host names.
	r := doHTTP(t, node, httpCall{method: http.MethodGet, path: "/healthz", header: map[string]string{"Host": "rebind.evil.example"}})
	if r.status != http.StatusMisdirectedRequest {
		t.Fatalf("Host rebind.evil.example: %d; want 421", r.status)
	}
}
