// Package api is the HTTP server API for backends: POST /api/<method> with
// the X-API-Key header, JSON in and out, and real HTTP status codes. Errors
// carry the protocol code and a specific message in the body:
//
//	{"error": {"code": 102, "message": "unknown channel namespace \"x\""}}
//
// with "temporary": true added when a retry may succeed.
//
// The methods and their shapes are listed in docs/api.md.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// MaxBodyBytes bounds a request body. Publication data inside it is further
// bounded by its namespace.
const MaxBodyBytes = 1 << 20

// requestTimeout bounds one API call.
const requestTimeout = 15 * time.Second

// Handler serves the server API.
type Handler struct {
	hub     *hub.Hub
	apiKey  string
	log     *slog.Logger
	methods map[string]method
	users   *account.Service // set by WithUsers
}

type method func(ctx context.Context, body []byte) (any, *wire.Error)

// New returns the API handler; mount it at /api/.
func New(h *hub.Hub, apiKey string, log *slog.Logger) *Handler {
	a := &Handler{hub: h, apiKey: apiKey, log: log.With("component", "api")}
	a.methods = map[string]method{
		"publish":        a.publish,
		"broadcast":      a.broadcast,
		"history":        a.history,
		"presence":       a.presence,
		"presence_stats": a.presenceStats,
		"subscribe":      a.subscribe,
		"unsubscribe":    a.unsubscribe,
		"disconnect":     a.disconnect,
		"channels":       a.channels,
		"info":           a.info,
	}
	return a
}

// Method is a server API method of a feature: the request body in, a
// value to encode as JSON out, or an error with its code.
type Method func(ctx context.Context, body []byte) (any, *wire.Error)

// Register adds a feature's method (POST /api/<name>). Call it before
// serving; a name given twice replaces the method.
func (a *Handler) Register(name string, m Method) { a.methods[name] = method(m) }

// ServeHTTP checks the method, the key and the body, then runs the call.
func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, wire.Errorf(wire.CodeBadRequest, false, "use POST /api/%s with a JSON body", name))
		return
	}
	if !auth.APIKeyMatches(r.Header.Get("X-API-Key"), a.apiKey) {
		writeError(w, http.StatusUnauthorized, wire.Errorf(wire.CodeUnauthorized, false, "missing or wrong X-API-Key header"))
		return
	}
	m := a.methods[name]
	if m == nil {
		writeError(w, http.StatusNotFound, wire.Errorf(wire.CodeMethodNotFound, false, "unknown API method %q; see docs/api.md", name))
		return
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		writeError(w, http.StatusUnsupportedMediaType, wire.Errorf(wire.CodeBadRequest, false, "Content-Encoding %q is not supported: send the JSON body uncompressed", ce))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, wire.Errorf(wire.CodeLimitExceeded, false, "request body over %d bytes", MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, wire.Errorf(wire.CodeBadRequest, false, "could not read the request body: %v", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	res, werr := m(ctx, body)
	if werr != nil {
		writeError(w, statusOf(werr), werr)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
}

// isPayload reports whether a request body path holds a publication's own
// data, which is passed on as it is and not looked into.
func isPayload(path string) bool { return path == "data" }

// decode reads a request body into v (wire.DecodeStrict).
func decode(body []byte, v any) *wire.Error {
	if problem := wire.DecodeStrict(body, v, isPayload); problem != "" {
		return wire.Errorf(wire.CodeBadRequest, false, "invalid request body: %s", problem)
	}
	return nil
}

// statusOf maps a protocol error code onto an HTTP status.
func statusOf(e *wire.Error) int {
	switch e.Code {
	case wire.CodeUnauthorized, wire.CodeTokenExpired:
		return http.StatusUnauthorized
	case wire.CodeUnknownChannel, wire.CodeMethodNotFound, wire.CodeNoSuchSession:
		return http.StatusNotFound
	case wire.CodePermissionDenied:
		return http.StatusForbidden
	case wire.CodeAlreadySubscribed, wire.CodeUnrecoverable:
		return http.StatusConflict
	case wire.CodeLimitExceeded:
		return http.StatusRequestEntityTooLarge
	case wire.CodeTooManyRequests:
		return http.StatusTooManyRequests
	case wire.CodeBadRequest, wire.CodeNotAvailable:
		return http.StatusBadRequest
	case wire.CodeInternal:
		if e.Temporary {
			return http.StatusServiceUnavailable
		}
		return http.StatusInternalServerError
	}
	if s := wire.ChatHTTPStatus(e.Code); s != 0 {
		return s
	}
	if s := wire.SupportHTTPStatus(e.Code); s != 0 {
		return s
	}
	if e.Code >= 400 {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error *wire.Error `json:"error"`
}

// writeError answers an error. A temporary error that knows its wait
// (wire.Error.RetryAfter) sends it as Retry-After, in seconds rounded up,
// whatever the status (a chat timeout is 403); other temporary 429 and 503
// answers send Retry-After: 1.
func writeError(w http.ResponseWriter, status int, e *wire.Error) {
	switch {
	case e.Temporary && e.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	case e.Temporary && (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests):
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(fmt.Sprintf(`{"error":{"code":100,"message":%q,"temporary":true}}`, "could not encode the response"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(data)
	_, _ = w.Write([]byte("\n"))
}
