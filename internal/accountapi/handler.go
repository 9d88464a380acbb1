// Package accountapi serves liveroom's account endpoints under /account/:
// sign-up, sign-in, guests, the refresh-token exchange, sign-out, and, with
// a connection token as Bearer credential, the account page's calls
// (profile, devices, revoking, password, export, delete). The shapes are
// in docs/accounts.md.
//
// Browsers keep the session's refresh token in a cookie (__Host-
// prefixed, Secure, HttpOnly, SameSite=Strict) and their connection token
// in memory; only the refresh and sign-out endpoints read the cookie, and
// only for requests that pass origin.Policy.CheckCookie (an allowed
// Origin, not cross-site, JSON). Requests without an Origin (native apps,
// servers) never use the cookie: they send the refresh token in the body
// and get the next one in the answer. Every other call authenticates with
// an explicit Bearer token, which a page on another site cannot make a
// browser send.
package accountapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/internal/origin"
	"github.com/liveroom-dev/liveroom/wire"
)

// Limits of every account endpoint.
const (
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes = 16 << 10
	// requestTimeout bounds one call, password hashing and store included.
	requestTimeout = 10 * time.Second
	// requestsPerSecond and requestBurst bound all account calls of a node
	// together (password attempts have tighter limits of their own).
	requestsPerSecond = 500
	requestBurst      = 1000
)

// Config configures a Handler.
type Config struct {
	Accounts *account.Service
	// Verifier checks Bearer connection tokens.
	Verifier *auth.Verifier
	// Origins decides which browser origins may call (and use the
	// cookie).
	Origins *origin.Policy
	Logger  *slog.Logger
}

// Handler serves /account/.
type Handler struct {
	acc     *account.Service
	v       *auth.Verifier
	origins *origin.Policy
	log     *slog.Logger
	limiter *rate.Limiter
	routes  map[string]route
}

type route struct {
	method string // GET or POST
	serve  func(w http.ResponseWriter, r *http.Request, body []byte)
}

// New returns the handler; mount it at /account/.
func New(cfg Config) *Handler {
	h := &Handler{acc: cfg.Accounts, v: cfg.Verifier, origins: cfg.Origins, log: cfg.Logger.With("component", "accountapi"),
		limiter: rate.NewLimiter(requestsPerSecond, requestBurst)}
	h.routes = map[string]route{
		"signup":          {http.MethodPost, h.signUp},
		"signin":          {http.MethodPost, h.signIn},
		"guest":           {http.MethodPost, h.guest},
		"refresh":         {http.MethodPost, h.refresh},
		"signout":         {http.MethodPost, h.signOut},
		"me":              {http.MethodGet, h.bearer(h.me)},
		"rename":          {http.MethodPost, h.bearer(h.rename)},
		"upgrade":         {http.MethodPost, h.bearer(h.upgrade)},
		"password":        {http.MethodPost, h.bearer(h.password)},
		"sessions":        {http.MethodGet, h.bearer(h.sessions)},
		"sessions/revoke": {http.MethodPost, h.bearer(h.revoke)},
		"export":          {http.MethodGet, h.bearer(h.export)},
		"delete":          {http.MethodPost, h.bearer(h.deleteAccount)},
		"profile":         {http.MethodGet, h.bearer(h.profile)},
		"admin/revoke":    {http.MethodPost, h.bearer(h.adminRevoke)},
	}
	return h
}

// ServeHTTP checks, in order: the Origin (403), CORS preflight, the
// route (404) and method (405), the node-wide rate (429), the body (413,
// 415, 400); then runs the call with a deadline.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	v, reason := h.origins.Check(r)
	if v == origin.Refused {
		writeError(w, refusal(wire.CodeOriginRefused, "%s", reason))
		return
	}
	if v == origin.Allowed {
		// Only allowed origins ever get CORS headers; for the site's own
		// origin they are harmless.
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		hd.Set("Access-Control-Allow-Credentials", "true")
		hd.Add("Vary", "Origin")
	}
	name := strings.TrimPrefix(r.URL.Path, "/account/")
	rt, ok := h.routes[name]
	if r.Method == http.MethodOptions && ok && v == origin.Allowed {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Methods", rt.method)
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		hd.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !ok {
		writeError(w, refusal(wire.CodeMethodNotFound, "no account endpoint %q; see docs/accounts.md", truncate(name, 40)))
		return
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		writeErrorStatus(w, http.StatusMethodNotAllowed, refusal(wire.CodeBadRequest, "use %s /account/%s", rt.method, name))
		return
	}
	if !h.limiter.Allow() {
		writeError(w, &account.Error{Wire: wire.Error{Code: wire.CodeTooManyRequests, Temporary: true,
			Message: "too many account requests on this server right now; retry in a second"}, RetryAfter: time.Second})
		return
	}
	var body []byte
	if rt.method == http.MethodPost {
		var e *account.Error
		if body, e = readJSONBody(w, r); e != nil {
			writeErrorStatus(w, statusOfBody(e), e)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	rt.serve(w, r.WithContext(ctx), body)
}

// client describes the caller for the account service.
func client(r *http.Request, deviceName string) account.Client {
	c := account.Client{UserAgent: r.Header.Get("User-Agent"), DeviceName: deviceName}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.Addr = ap.Addr().Unmap()
	}
	return c
}

// bearer wraps a call that needs a connection token of a live liveroom
// account session in the Authorization header.
func (h *Handler) bearer(next func(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte)) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		raw := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(raw, "Bearer ")
		if !ok || token == "" {
			writeError(w, refusal(wire.CodeNotSignedIn, "not signed in: send the connection token as Authorization: Bearer <token>"))
			return
		}
		claims, err := h.v.VerifyConnect(token, time.Now())
		if err != nil {
			code := wire.CodeUnauthorized
			if isExpired(err) {
				code = wire.CodeTokenExpired
			}
			writeError(w, refusal(code, "%s", err.Error()))
			return
		}
		p, err := h.acc.Authorize(r.Context(), claims)
		if err != nil {
			h.fail(w, err)
			return
		}
		next(w, r, p, body)
	}
}

func isExpired(err error) bool { return errors.Is(err, auth.ErrTokenExpired) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
