// Package origin decides which browser origins may use liveroom's
// endpoints. Browsers send an Origin header (RFC 6454 §7) on WebSocket
// upgrades, on fetches to streaming endpoints and on every POST; a page on
// another site therefore announces itself, and a server that compares the
// header exactly can refuse it before anything runs on the page's behalf
// (cross-site WebSocket hijacking, cross-site request forgery).
//
// The rules, applied by Policy.Check:
//
//   - An origin is scheme "://" host [":" port], nothing else: no path, no
//     user info, no query. Scheme and host are compared in lower case and a
//     default port (80 for http, 443 for https) is dropped, as RFC 6454 §4
//     serialises origins; everything else must be equal byte for byte. So
//     https://example.com.evil.net, https://evil-example.com,
//     http://example.com (other scheme), https://example.com:8443 (other
//     port), https://example.com. (trailing dot) and https://exаmple.com
//     (a Cyrillic letter) are all different origins.
//   - "null" (sandboxed frames, file: pages, some redirects) is never
//     allowed, nor is a header given twice or one that does not parse.
//   - With an allow list (the configuration's web.allowed_origins) exactly
//     the listed origins are allowed. Without one, the request's own origin
//     is: http or https (whether the request came over TLS) plus its Host
//     header. Behind a proxy that terminates TLS that own origin reads
//     http://…, so such deployments list their https origin.
//   - A request without an Origin header is not a browser page (native
//     apps, servers, command-line tools). It is allowed through, and the
//     endpoint must not authenticate it by cookie: it must carry an
//     explicit credential (a token), see Absent.
package origin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Verdict is the result of checking a request's Origin.
type Verdict int

const (
	// Absent: no Origin header. Not a browser page; only explicit tokens
	// may authenticate the request.
	Absent Verdict = iota
	// Allowed: the Origin is one the policy allows.
	Allowed
	// Refused: the Origin is present and not allowed (or "null", or
	// malformed, or sent twice).
	Refused
)

// Policy is an immutable set of allowed origins; safe for concurrent use.
type Policy struct {
	allowed map[string]struct{} // normalised; nil = the request's own origin
}

// NewPolicy checks and normalises origins (each "scheme://host[:port]"
// with scheme http or https). An empty list allows each request's own
// origin only. Errors name the entry and what is wrong with it.
func NewPolicy(origins []string) (*Policy, error) {
	p := &Policy{}
	if len(origins) == 0 {
		return p, nil
	}
	p.allowed = make(map[string]struct{}, len(origins))
	for _, o := range origins {
		n, err := Normalize(o)
		if err != nil {
			return nil, err
		}
		p.allowed[n] = struct{}{}
	}
	return p, nil
}

// Allowed lists the configured origins (nil when the policy allows each
// request's own origin).
func (p *Policy) Allowed() []string {
	if p.allowed == nil {
		return nil
	}
	out := make([]string, 0, len(p.allowed))
	for o := range p.allowed {
		out = append(out, o)
	}
	return out
}

// Check judges r's Origin header. reason says why a request was refused,
// for the response body and logs.
func (p *Policy) Check(r *http.Request) (v Verdict, reason string) {
	values := r.Header.Values("Origin")
	switch len(values) {
	case 0:
		return Absent, ""
	case 1:
	default:
		return Refused, "the Origin header is sent more than once"
	}
	raw := values[0]
	if raw == "null" {
		return Refused, `origin "null" (a sandboxed frame or local file) is not allowed`
	}
	o, err := Normalize(raw)
	if err != nil {
		return Refused, err.Error()
	}
	if p.allows(o, r) {
		return Allowed, ""
	}
	return Refused, fmt.Sprintf("origin %s is not allowed%s", quoteShort(raw), p.hint())
}

// Own is the request's own origin as this server sees it: https when it
// came over TLS, else http, and its Host header; "" when the Host does not
// parse.
func Own(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	o, err := Normalize(scheme + "://" + r.Host)
	if err != nil {
		return ""
	}
	return o
}

func (p *Policy) allows(o string, r *http.Request) bool {
	if p.allowed == nil {
		own := Own(r)
		return own != "" && o == own
	}
	_, ok := p.allowed[o]
	return ok
}

func (p *Policy) hint() string {
	if p.allowed == nil {
		return " (only the server's own origin is; list others in web.allowed_origins)"
	}
	return " (see web.allowed_origins)"
}

// Guard refuses requests whose Origin the policy refuses with 403 and a
// plain-text reason, before next runs. Requests without an Origin pass:
// next must accept them only with an explicit token (the hub does so for
// connections: see hub.ConnInfo). Mount it on every WebSocket and
// streaming endpoint.
func (p *Policy) Guard(next http.Handler, onRefused ...func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, reason := p.Check(r); v == Refused {
			for _, f := range onRefused {
				f()
			}
			h := w.Header()
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(reason + "\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxOriginBytes bounds an Origin header: a scheme, a DNS name (≤ 253
// bytes) and a port.
const maxOriginBytes = 300

// Normalize returns the serialised origin of s ("scheme://host[:port]"):
// scheme and host in lower case, a default port dropped. It refuses
// anything that is not exactly an http or https origin.
func Normalize(s string) (string, error) {
	if len(s) > maxOriginBytes {
		return "", fmt.Errorf("origin header is %d bytes; an origin is at most %d", len(s), maxOriginBytes)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", fmt.Errorf("origin %s is not scheme://host[:port]", quoteShort(s))
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("origin %s: scheme must be http or https", quoteShort(s))
	}
	if strings.ContainsAny(rest, "/?#") {
		return "", fmt.Errorf("origin %s has a path, query or fragment; an origin is only scheme://host[:port]", quoteShort(s))
	}
	if strings.Contains(rest, "@") {
		return "", fmt.Errorf("origin %s has user info; an origin is only scheme://host[:port]", quoteShort(s))
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", fmt.Errorf("origin %s: unterminated IPv6 address", quoteShort(s))
		}
		host, port = rest[:end+1], rest[end+1:]
		if port != "" && port[0] != ':' {
			return "", fmt.Errorf("origin %s: unexpected text after the host", quoteShort(s))
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i:]
	}
	if err := checkHost(host); err != nil {
		return "", fmt.Errorf("origin %s: %w", quoteShort(s), err)
	}
	if port != "" {
		n, err := strconv.ParseUint(port[1:], 10, 16)
		if err != nil || port[1:] == "" || port[1] == '0' && len(port) > 2 {
			return "", fmt.Errorf("origin %s: port must be a number from 1 to 65535", quoteShort(s))
		}
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	return scheme + "://" + strings.ToLower(host) + port, nil
}

// checkHost allows the bytes of DNS names (letters, digits, '-', '.',
// '_'), IPv4 addresses and bracketed IPv6 literals; paths, user info,
// queries, spaces and percent-escapes fail here.
func checkHost(h string) error {
	if h == "" {
		return errors.New("no host")
	}
	if h[0] == '[' {
		for i := 1; i < len(h)-1; i++ {
			c := h[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
				return errors.New("invalid IPv6 address")
			}
		}
		return nil
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return fmt.Errorf("character %q is not allowed in a host", c)
		}
	}
	return nil
}

// quoteShort quotes a client-supplied value for a message, cut to 80
// bytes.
func quoteShort(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:80]) + "…"
	}
	return strconv.Quote(s)
}
