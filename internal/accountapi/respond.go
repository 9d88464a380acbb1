package accountapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

func refusal(code uint32, format string, args ...any) *account.Error {
	return &account.Error{Wire: wire.Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// statusOf maps a refusal's code onto an HTTP status.
func statusOf(e *account.Error) int {
	switch e.Wire.Code {
	case wire.CodeBadCredentials, wire.CodeSessionExpired, wire.CodeSessionRevoked, wire.CodeNotSignedIn,
		wire.CodeUnauthorized, wire.CodeTokenExpired:
		return http.StatusUnauthorized
	case wire.CodeEmailTaken:
		return http.StatusConflict
	case wire.CodeUserBlocked, wire.CodeOriginRefused, wire.CodePermissionDenied, wire.CodeNotAvailable:
		return http.StatusForbidden
	case wire.CodeNoSuchSession, wire.CodeMethodNotFound:
		return http.StatusNotFound
	case wire.CodeTooManyRequests:
		return http.StatusTooManyRequests
	case wire.CodeSignInBusy:
		return http.StatusServiceUnavailable
	case wire.CodeInternal:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

type errorBody struct {
	Error *wire.Error `json:"error"`
}

func writeError(w http.ResponseWriter, e *account.Error) { writeErrorStatus(w, statusOf(e), e) }

func writeErrorStatus(w http.ResponseWriter, status int, e *account.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+999_999_999)/1e9)))
	}
	writeJSON(w, status, errorBody{Error: &e.Wire})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":100,"message":"could not encode the response","temporary":true}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// fail answers an error from the account service: its refusal as is, or a
// temporary 503 for a store failure (logged).
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var e *account.Error
	if errors.As(err, &e) {
		writeError(w, e)
		return
	}
	if we := hub.StoreFailedError(err); we != nil {
		writeError(w, &account.Error{Wire: *we, RetryAfter: 1e9})
		return
	}
	h.log.Error("account call failed", "err", err)
	writeError(w, &account.Error{Wire: wire.Error{Code: wire.CodeInternal, Temporary: true,
		Message: "could not reach the account store; retry in a moment"}, RetryAfter: 1e9})
}

// readJSONBody reads a POST body: application/json, at most MaxBodyBytes.
func readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, *account.Error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, refusal(wire.CodeBadRequest, "send a JSON body with Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, refusal(wire.CodeLimitExceeded, "request body over %d bytes", MaxBodyBytes)
		}
		return nil, refusal(wire.CodeBadRequest, "could not read the request body: %v", err)
	}
	return body, nil
}

func statusOfBody(e *account.Error) int {
	switch {
	case e.Wire.Code == wire.CodeLimitExceeded:
		return http.StatusRequestEntityTooLarge
	case bytes.HasPrefix([]byte(e.Wire.Message), []byte("send a JSON body")):
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}

// decode reads body into v (wire.DecodeStrict).
func decode(body []byte, v any) *account.Error {
	if problem := wire.DecodeStrict(body, v, nil); problem != "" {
		return refusal(wire.CodeBadRequest, "invalid request body: %s", problem)
	}
	return nil
}
