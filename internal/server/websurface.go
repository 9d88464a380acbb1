package server

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/origin"
)

// apiContentSecurityPolicy is sent with every response that is not a page
// of the site (JSON, plain text): nothing may load or run from it, and no
// page may frame it. The site's pages send their own, strict, policy.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// webSurface wraps every HTTP entry point: security headers on every
// response and, on a loopback node, a Host check against DNS rebinding.
func (s *Server) webSurface(next http.Handler) http.Handler {
	hsts := ""
	if age := s.cfg.Web.HSTSMaxAge.Duration(); age > 0 {
		hsts = "max-age=" + strconv.FormatInt(int64(age.Seconds()), 10) + "; includeSubDomains"
	}
	hosts := allowedHosts(s.origins)
	loopbackOnly := s.cfg.Loopback()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		h.Set("Content-Security-Policy", apiContentSecurityPolicy)
		if hsts != "" {
			h.Set("Strict-Transport-Security", hsts)
		}
		if loopbackOnly && !loopbackHost(r.Host) && !hosts[hostOnly(r.Host)] {
			// A page on another site whose name was re-pointed at 127.0.0.1
			// (DNS rebinding) would otherwise count as this server's own
			// origin.
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = w.Write([]byte("this node listens on a loopback address and answers only to a loopback host name; " +
				"list the public origin in web.allowed_origins when a proxy forwards to it\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHosts are the host names of the configured allowed origins.
func allowedHosts(p *origin.Policy) map[string]bool {
	out := make(map[string]bool)
	for _, o := range p.Allowed() {
		if u, err := url.Parse(o); err == nil {
			out[strings.ToLower(u.Hostname())] = true
		}
	}
	return out
}

// hostOnly strips the port from a Host header, lower-cased.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.Trim(hostport, "[]"))
}

// loopbackHost reports whether a Host header names this machine:
// "localhost" or a loopback IP, with or without a port.
func loopbackHost(hostport string) bool {
	h := hostOnly(hostport)
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}
