package accountapi

import (
	"net/http"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/internal/origin"
	"github.com/liveroom-dev/liveroom/wire"
)

// CookieName holds a browser session's refresh token. The __Host- prefix
// makes browsers insist on Secure, Path=/ and no Domain, so no sibling
// subdomain can plant one (RFC 6265bis §4.1.3.2).
const CookieName = "__Host-lr_refresh"

// grantBody is the answer to sign-up, sign-in, guest and refresh.
type grantBody struct {
	User    account.Profile `json:"user"`
	Session string          `json:"session"`
	// Token is a connection token (JWT) for this session; ExpiresIn is
	// its lifetime in seconds.
	Token            string `json:"token"`
	ExpiresIn        int64  `json:"expires_in"`
	TokenExpiresAt   int64  `json:"token_expires_at"`   // Unix ms
	SessionExpiresAt int64  `json:"session_expires_at"` // Unix ms
	// RefreshToken is set for callers without an Origin (native apps) and
	// for callers that sent theirs in the body; browsers get a cookie
	// instead. Absent when the refresh was the grace reuse of the token
	// just replaced.
	RefreshToken string `json:"refresh_token,omitempty"`
}

// sendGrant answers with g; inCookie puts the refresh token in the
// session cookie instead of the body.
func sendGrant(w http.ResponseWriter, g *account.Grant, inCookie bool, status int) {
	body := grantBody{User: g.Account, Session: g.Session, Token: g.Token,
		ExpiresIn:        int64(time.Until(g.TokenExpiresAt).Round(time.Second) / time.Second),
		TokenExpiresAt:   g.TokenExpiresAt.UnixMilli(),
		SessionExpiresAt: g.SessionExpiresAt.UnixMilli()}
	if g.Refresh != "" {
		if inCookie {
			setCookie(w, g.Refresh, g.SessionExpiresAt)
		} else {
			body.RefreshToken = g.Refresh
		}
	}
	writeJSON(w, status, body)
}

func setCookie(w http.ResponseWriter, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: value, Path: "/", Expires: expires,
		MaxAge: max(int(time.Until(expires)/time.Second), 1), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// fromBrowser reports whether a request comes from a browser page: it has
// an (allowed) Origin.
func (h *Handler) fromBrowser(r *http.Request) bool {
	v, _ := h.origins.Check(r)
	return v == origin.Allowed
}

type signUpRequest struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	Name       string `json:"name"`
	DeviceName string `json:"device_name,omitempty"`
}

func (h *Handler) signUp(w http.ResponseWriter, r *http.Request, body []byte) {
	var req signUpRequest
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	g, err := h.acc.SignUp(r.Context(), req.Email, req.Password, req.Name, client(r, req.DeviceName))
	if err != nil {
		h.fail(w, err)
		return
	}
	sendGrant(w, g, h.fromBrowser(r), http.StatusCreated)
}

type signInRequest struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	DeviceName string `json:"device_name,omitempty"`
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, body []byte) {
	var req signInRequest
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	g, err := h.acc.SignIn(r.Context(), req.Email, req.Password, client(r, req.DeviceName))
	if err != nil {
		h.fail(w, err)
		return
	}
	sendGrant(w, g, h.fromBrowser(r), http.StatusOK)
}

type guestRequest struct {
	Name       string `json:"name"`
	DeviceName string `json:"device_name,omitempty"`
}

func (h *Handler) guest(w http.ResponseWriter, r *http.Request, body []byte) {
	var req guestRequest
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	g, err := h.acc.Guest(r.Context(), req.Name, client(r, req.DeviceName))
	if err != nil {
		h.fail(w, err)
		return
	}
	sendGrant(w, g, h.fromBrowser(r), http.StatusCreated)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token,omitempty"`
}

// refreshToken finds the request's refresh token: explicit in the body,
// or the session cookie for a request that passes the cross-site checks.
// inCookie tells which.
func (h *Handler) refreshToken(r *http.Request, body []byte) (token string, inCookie bool, e *account.Error) {
	var req refreshRequest
	if e := decode(body, &req); e != nil {
		return "", false, e
	}
	if req.RefreshToken != "" {
		return req.RefreshToken, false, nil
	}
	if why := h.origins.CheckCookie(r); why != "" {
		if _, err := r.Cookie(CookieName); err != nil {
			return "", false, refusal(wire.CodeNotSignedIn, "not signed in: send refresh_token in the body")
		}
		return "", false, refusal(wire.CodeOriginRefused, "the session cookie is not accepted on this request: %s", why)
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return "", true, refusal(wire.CodeNotSignedIn, "not signed in on this browser — sign in")
	}
	return c.Value, true, nil
}

func (h *Handler) refresh(w http.ResponseWriter, r *http.Request, body []byte) {
	token, inCookie, e := h.refreshToken(r, body)
	if e != nil {
		writeError(w, e)
		return
	}
	g, err := h.acc.Refresh(r.Context(), token, client(r, ""))
	if err != nil {
		h.fail(w, err)
		return
	}
	sendGrant(w, g, inCookie, http.StatusOK)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, body []byte) {
	token, inCookie, e := h.refreshToken(r, body)
	if e != nil {
		writeError(w, e)
		return
	}
	if err := h.acc.SignOut(r.Context(), token); err != nil {
		h.fail(w, err)
		return
	}
	if inCookie {
		clearCookie(w)
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
