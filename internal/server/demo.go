package server

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/unitext"
	"github.com/liveroom-dev/liveroom/wire"
)

// demoTokenTTL is how long a demo connection token lives.
const demoTokenTTL = 12 * time.Hour

// maxDemoName bounds a demo display name, in characters.
const maxDemoName = 32

// demoToken serves POST /demo/token: {"name": "Ada"} (and optionally
// "role": "moderator" or "agent") → {"token": …, "user": …}. It mints a connection token for a new demo user. It exists only
// while the demo is on, and is rate limited.
func (s *Server) demoToken() http.Handler {
	limiter := rate.NewLimiter(20, 40)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !limiter.Allow() {
			w.Header().Set("Retry-After", "1")
			writeDemoError(w, http.StatusTooManyRequests, wire.Errorf(wire.CodeTooManyRequests, true, "too many demo sign-ins right now; retry in a second"))
			return
		}
		if s.creds.SigningKey == nil {
			writeDemoError(w, http.StatusServiceUnavailable, wire.Errorf(wire.CodeInternal, false, "no configured key can sign tokens (give a private_key_file), so the demo cannot sign you in"))
			return
		}
		var req struct {
			Name string `json:"name"`
			// Role "moderator" makes the token a moderator of every demo
			// chat room, for the moderator console; "agent" a support
			// agent, for the agent console. The demo hands them to
			// anyone who asks, which is one reason the demo is on only on
			// loopback unless turned on explicitly.
			Role string `json:"role"`
		}
		if werr, status := decodeDemoRequest(w, r, &req); werr != nil {
			writeDemoError(w, status, werr)
			return
		}
		name, problem := cleanDemoName(req.Name)
		if problem != "" {
			writeDemoError(w, http.StatusBadRequest, wire.Errorf(wire.CodeBadRequest, false, "%s", problem))
			return
		}
		var roles wire.Roles
		switch req.Role {
		case "":
		case wire.RoleModerator:
			roles = wire.Roles{"chat:*": {wire.RoleModerator}}
		case wire.RoleAgent:
			roles = wire.Roles{wire.SupportScope: {wire.RoleAgent}}
		default:
			writeDemoError(w, http.StatusBadRequest, wire.Errorf(wire.CodeBadRequest, false, `role may only be "moderator" or "agent"`))
			return
		}
		user := "demo-" + strings.ToLower(rand.Text()[:10])
		token, err := auth.Mint(*s.creds.SigningKey, auth.MintClaims{
			User: user, Name: name, TTL: demoTokenTTL, Audience: s.cfg.Auth.Audience, Issuer: s.cfg.Auth.Issuer, Roles: roles,
		})
		if err != nil {
			s.log.Error("demo token", "err", err)
			writeDemoError(w, http.StatusInternalServerError, wire.Errorf(wire.CodeInternal, true, "could not sign a token; retry"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": token, "user": user, "name": name})
	})
}

// maxDemoBody bounds a demo sign-in request, in bytes.
const maxDemoBody = 4096

// decodeDemoRequest reads a demo sign-in body as strictly as the server
// API reads its bodies: one JSON object of valid UTF-8, known fields each
// given once, nothing after it. The error says which rule was broken.
func decodeDemoRequest(w http.ResponseWriter, r *http.Request, req any) (*wire.Error, int) {
	const want = `send {"name": "your display name"}`
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDemoBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return wire.Errorf(wire.CodeLimitExceeded, false, "request body is over %d bytes; %s", tooLarge.Limit, want), http.StatusRequestEntityTooLarge
		}
		return wire.Errorf(wire.CodeBadRequest, true, "request body could not be read: %v; retry", err), http.StatusBadRequest
	}
	if at := wire.FirstInvalidUTF8(body); at >= 0 {
		return wire.Errorf(wire.CodeBadRequest, false, "request body is not valid UTF-8 at byte %d; %s", at, want), http.StatusBadRequest
	}
	if at := wire.LoneSurrogate(body); at >= 0 {
		return wire.Errorf(wire.CodeBadRequest, false, "the \\u escape at byte %d is half of a UTF-16 surrogate pair; %s", at, want), http.StatusBadRequest
	}
	if problem := wire.BodyKeyProblem(body, nil); problem != "" {
		return wire.Errorf(wire.CodeBadRequest, false, "%s", problem), http.StatusBadRequest
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		if msg, ok := wire.DescribeTypeErrorIn(err, req); ok {
			return wire.Errorf(wire.CodeBadRequest, false, "%s", msg), http.StatusBadRequest
		}
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return wire.Errorf(wire.CodeBadRequest, false, "unknown field %s: only \"name\" and \"role\" are read", field), http.StatusBadRequest
		}
		return wire.Errorf(wire.CodeBadRequest, false, "request body is not a JSON object; %s", want), http.StatusBadRequest
	}
	if _, err := dec.Token(); err != io.EOF {
		return wire.Errorf(wire.CodeBadRequest, false, "request body has more after its JSON object; %s", want), http.StatusBadRequest
	}
	return nil, 0
}

// demoTokenMethods answers any method but POST on /demo/token.
func demoTokenMethods(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	writeDemoError(w, http.StatusMethodNotAllowed, wire.Errorf(wire.CodeBadRequest, false, `use POST with {"name": "your display name"}`))
}

// writeDemoError answers with the body every HTTP endpoint of liveroom
// uses for errors: {"error": {"code", "message", "temporary"}}.
func writeDemoError(w http.ResponseWriter, status int, e *wire.Error) {
	writeJSON(w, status, struct {
		Error *wire.Error `json:"error"`
	}{e})
}

// cleanDemoName trims a display name and checks it is 1–32 printable
// characters, at least one of them visible (not only Hangul fillers or
// blank braille patterns: see unitext.Blank).
func cleanDemoName(name string) (string, string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "name is empty: choose a display name"
	}
	if utf8.RuneCountInString(name) > maxDemoName {
		return "", "name is too long: use at most 32 characters"
	}
	for i, r := range []rune(name) {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "", fmt.Sprintf("name has a control or invisible character (U+%04X) at character %d; remove it", r, i+1)
		}
	}
	if !unitext.Visible(name) {
		return "", "name shows nothing (only blank or filler characters): choose a display name with letters, digits or emoji"
	}
	return name, ""
}
