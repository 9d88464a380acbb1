package main

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/centrifugal/centrifuge"
)

// maxAPIBody is the largest API request body, as in liveroom.
const maxAPIBody = 1 << 20

// apiError is the error body of liveroom's API: the protocol's code and a
// message, with an HTTP status.
type apiError struct {
	status    int
	Code      uint32 `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Message) }

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: 107, Message: fmt.Sprintf(format, args...)}
}

// apiHandler serves POST /api/<method>: publish, history and info.
func (p *peer) apiHandler(w http.ResponseWriter, r *http.Request) {
	out, err := p.apiCall(r)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{status: http.StatusInternalServerError, Code: 100, Message: err.Error(), Temporary: true}
		}
		w.WriteHeader(ae.status)
		_ = json.NewEncoder(w).Encode(map[string]*apiError{"error": ae})
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (p *peer) apiCall(r *http.Request) (any, error) {
	if r.Method != http.MethodPost {
		return nil, &apiError{status: http.StatusMethodNotAllowed, Code: 107, Message: "use POST"}
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-API-Key")), []byte(p.apiKey)) != 1 {
		return nil, &apiError{status: http.StatusUnauthorized, Code: 101, Message: "missing or wrong X-API-Key"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	if len(body) > maxAPIBody {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, Code: 106, Message: "body over 1 MiB"}
	}
	switch method := strings.TrimPrefix(r.URL.Path, "/api/"); method {
	case "publish":
		return p.apiPublish(body)
	case "history":
		return p.apiHistory(body)
	case "info":
		return p.apiInfo(), nil
	default:
		return nil, &apiError{status: http.StatusNotFound, Code: 104, Message: fmt.Sprintf("unknown method %q", method)}
	}
}

// decodeStrict decodes body into v, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed body: %v", err)
	}
	return nil
}

// channelNamespace resolves an API call's channel.
func channelNamespace(channel string) (namespace, error) {
	ns, _, ok := lookup(channel)
	if !ok {
		return namespace{}, &apiError{status: http.StatusNotFound, Code: 102, Message: fmt.Sprintf("unknown namespace in channel %q", channel)}
	}
	return ns, nil
}

type publishRequest struct {
	Channel        string          `json:"channel"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotency_key"`
}

type publishAnswer struct {
	Offset    uint64 `json:"offset,omitempty"`
	Epoch     string `json:"epoch,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

func (p *peer) apiPublish(body []byte) (any, error) {
	var req publishRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if len(req.Data) == 0 {
		return nil, badRequest("data is missing")
	}
	ns, err := channelNamespace(req.Channel)
	if err != nil {
		return nil, err
	}
	opts := []centrifuge.PublishOption{centrifuge.WithHistory(ns.historySize, ns.historyTTL)}
	if req.IdempotencyKey != "" {
		opts = append(opts, centrifuge.WithIdempotencyKey(req.IdempotencyKey), centrifuge.WithIdempotentResultTTL(2*time.Minute))
	}
	res, err := p.node.Publish(req.Channel, req.Data, opts...)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if ns.historySize == 0 {
		return struct{}{}, nil
	}
	return publishAnswer{Offset: res.Offset, Epoch: res.Epoch, Duplicate: res.Suppressed}, nil
}

type historyRequest struct {
	Channel string `json:"channel"`
	Limit   int    `json:"limit"`
	Since   *struct {
		Offset uint64 `json:"offset"`
		Epoch  string `json:"epoch"`
	} `json:"since"`
	Reverse bool `json:"reverse"`
}

type historyPublication struct {
	Offset uint64          `json:"offset"`
	Data   json.RawMessage `json:"data"`
	Info   *historyInfo    `json:"info,omitempty"`
}

type historyInfo struct {
	User     string          `json:"user"`
	Client   string          `json:"client"`
	ConnInfo json.RawMessage `json:"conn_info,omitempty"`
}

type historyAnswer struct {
	Publications []historyPublication `json:"publications"`
	Offset       uint64               `json:"offset"`
	Epoch        string               `json:"epoch"`
}

func (p *peer) apiHistory(body []byte) (any, error) {
	var req historyRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	ns, err := channelNamespace(req.Channel)
	if err != nil {
		return nil, err
	}
	if ns.historySize == 0 {
		return nil, badRequest("channel %q has no history", req.Channel)
	}
	opts := []centrifuge.HistoryOption{centrifuge.WithLimit(req.Limit), centrifuge.WithReverse(req.Reverse)}
	if req.Since != nil {
		opts = append(opts, centrifuge.WithSince(&centrifuge.StreamPosition{Offset: req.Since.Offset, Epoch: req.Since.Epoch}))
	}
	res, err := p.node.History(req.Channel, opts...)
	if errors.Is(err, centrifuge.ErrorUnrecoverablePosition) {
		return nil, &apiError{status: http.StatusConflict, Code: 112, Message: fmt.Sprintf("epoch %q is not the channel's epoch %q", req.Since.Epoch, res.Epoch)}
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	out := historyAnswer{Publications: make([]historyPublication, 0, len(res.Publications)), Offset: res.Offset, Epoch: res.Epoch}
	for _, pub := range res.Publications {
		hp := historyPublication{Offset: pub.Offset, Data: pub.Data}
		if !json.Valid(pub.Data) { // a binary publication from a Protobuf client
			hp.Data, _ = json.Marshal(pub.Data)
		}
		if pub.Info != nil {
			hp.Info = &historyInfo{User: pub.Info.UserID, Client: pub.Info.ClientID, ConnInfo: pub.Info.ConnInfo}
		}
		out.Publications = append(out.Publications, hp)
	}
	return out, nil
}

type infoNode struct {
	ID            string `json:"id"`
	Version       string `json:"version"`
	Clients       int    `json:"clients"`
	Users         int    `json:"users"`
	Subscriptions int    `json:"subscriptions"`
	Channels      int    `json:"channels"`
	UptimeSeconds int64  `json:"uptime_seconds"`
}

// apiInfo answers like liveroom's info method, from the node's hub.
func (p *peer) apiInfo() any {
	h := p.node.Hub()
	n := infoNode{
		ID: p.node.ID(), Version: "centrifuge-peer",
		Clients: h.NumClients(), Users: h.NumUsers(), Subscriptions: h.NumSubscriptions(), Channels: h.NumChannels(),
		UptimeSeconds: int64(time.Since(p.started).Seconds()),
	}
	return map[string][]infoNode{"nodes": {n}}
}
