package origin

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func request(host string, origins ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://liveroom.test/connection/websocket", nil)
	r.Host = host
	for _, o := range origins {
		r.Header.Add("Origin", o)
	}
	return r
}

func TestListedOriginsMatchExactly(t *testing.T) {
	p, err := NewPolicy([]string{"https://example.com", "http://localhost:3000", "HTTPS://App.Example.com:443"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		origin string
		want   Verdict
	}{
		{"https://example.com", Allowed},
		{"https://example.com:443", Allowed}, // the default port is the same origin
		{"HTTPS://EXAMPLE.COM", Allowed},     // scheme and host are case-insensitive (RFC 6454 §4)
		{"http://localhost:3000", Allowed},
		{"https://app.example.com", Allowed},
		{"http://example.com", Refused},           // other scheme
		{"https://example.com:8443", Refused},     // other port
		{"http://localhost:3001", Refused},        // other port
		{"http://localhost", Refused},             // port missing
		{"https://example.com.evil.net", Refused}, // look-alike: suffix
		{"https://evil-example.com", Refused},     // look-alike: prefix
		{"https://example.com.", Refused},         // trailing dot
		{"https://ex\u0430mple.com", Refused},     // Cyrillic а
		{"https://xn--exmple-4nf.com", Refused},   // its punycode
		{"https://example.com@evil.net", Refused}, // user info
		{"https://evil.net#https://example.com", Refused},
		{"https://example.com/", Refused}, // a path is not an origin
		{"https://example.com/path", Refused},
		{"https://example.com:0443", Refused}, // zero-padded port
		{"https://example.com:", Refused},
		{"https://example.com:99999", Refused},
		{"ws://example.com", Refused},
		{"example.com", Refused},
		{"null", Refused},
		{"", Refused},
		{" https://example.com", Refused},
		{"https://example.com ", Refused},
		{"https://exa%6Dple.com", Refused},
		{"https://" + strings.Repeat("a", 400) + ".com", Refused},
	} {
		v, reason := p.Check(request("liveroom.example.net", c.origin))
		if v != c.want {
			t.Errorf("Origin %q: verdict %v (%s); want %v", c.origin, v, reason, c.want)
		}
		if v == Refused && reason == "" {
			t.Errorf("Origin %q refused without a reason", c.origin)
		}
	}
	if v, _ := p.Check(request("example.com")); v != Absent {
		t.Fatalf("no Origin header: %v; want Absent", v)
	}
	if v, _ := p.Check(request("example.com", "https://example.com", "https://example.com")); v != Refused {
		t.Fatalf("Origin sent twice: %v; want Refused", v)
	}
}

func TestOwnOriginWithoutList(t *testing.T) {
	p, err := NewPolicy(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, origin string
		tls          bool
		want         Verdict
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", false, Allowed},
		{"127.0.0.1:8080", "http://localhost:8080", false, Refused},
		{"127.0.0.1:8080", "https://127.0.0.1:8080", false, Refused},
		{"127.0.0.1:8080", "http://127.0.0.1:8081", false, Refused},
		{"rt.example.com", "https://rt.example.com", true, Allowed},
		{"rt.example.com:443", "https://rt.example.com", true, Allowed},
		{"rt.example.com", "http://rt.example.com", true, Refused},
		{"rt.example.com", "https://rt.example.com.evil.net", true, Refused},
		{"[::1]:8080", "http://[::1]:8080", false, Allowed},
		{"bad host", "http://bad host", false, Refused},
	} {
		r := request(c.host, c.origin)
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if v, reason := p.Check(r); v != c.want {
			t.Errorf("Host %q Origin %q: %v (%s); want %v", c.host, c.origin, v, reason, c.want)
		}
	}
}

func TestBadConfiguredOrigins(t *testing.T) {
	for _, bad := range []string{"example.com", "https://example.com/", "ftp://example.com", "https://", "null", "https://a b.com", "https://u@example.com"} {
		if _, err := NewPolicy([]string{bad}); err == nil {
			t.Errorf("NewPolicy(%q) accepted", bad)
		}
	}
}

func TestGuard(t *testing.T) {
	p, err := NewPolicy([]string{"https://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	h := p.Guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached++ }))
	for _, c := range []struct {
		origin []string
		status int
	}{
		{[]string{"https://example.com"}, 200},
		{nil, 200},
		{[]string{"https://evil.net"}, 403},
		{[]string{"null"}, 403},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request("example.com", c.origin...))
		if w.Code != c.status {
			t.Errorf("Origin %v: status %d; want %d (%s)", c.origin, w.Code, c.status, w.Body)
		}
	}
	if reached != 2 {
		t.Fatalf("next ran %d times; want 2", reached)
	}
}

func TestCheckCookie(t *testing.T) {
	p, err := NewPolicy([]string{"https://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(method, origin, ctype, site string) *http.Request {
		r := httptest.NewRequest(method, "https://example.com/account/refresh", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		return r
	}
	good := mk("POST", "https://example.com", "application/json", "same-origin")
	if why := p.CheckCookie(good); why != "" {
		t.Fatalf("same-origin JSON POST refused: %s", why)
	}
	if why := p.CheckCookie(mk("POST", "https://example.com", "application/json; charset=utf-8", "")); why != "" {
		t.Fatalf("JSON with charset, no fetch metadata, refused: %s", why)
	}
	for name, r := range map[string]*http.Request{
		"GET":                 mk("GET", "https://example.com", "application/json", ""),
		"no Origin":           mk("POST", "", "application/json", ""),
		"other Origin":        mk("POST", "https://evil.net", "application/json", "cross-site"),
		"null Origin":         mk("POST", "null", "application/json", ""),
		"form post":           mk("POST", "https://example.com", "application/x-www-form-urlencoded", ""),
		"text/plain":          mk("POST", "https://example.com", "text/plain", ""),
		"no content type":     mk("POST", "https://example.com", "", ""),
		"marked cross-site":   mk("POST", "https://example.com", "application/json", "cross-site"),
		"look-alike Origin":   mk("POST", "https://example.com.evil.net", "application/json", ""),
		"other-scheme Origin": mk("POST", "http://example.com", "application/json", ""),
	} {
		if why := p.CheckCookie(r); why == "" {
			t.Errorf("%s: accepted", name)
		}
	}
}
