package api

import (
	"context"
	"encoding/json"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// PublishRequest is the body of POST /api/publish.
type PublishRequest struct {
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
	// IdempotencyKey makes a retry within 2 minutes return the first
	// publication's offset without storing it again.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

func (a *Handler) publish(ctx context.Context, body []byte) (any, *wire.Error) {
	var req PublishRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	out, werr := a.hub.Publish(ctx, req.Channel, req.Data, req.IdempotencyKey)
	if werr != nil {
		return nil, werr
	}
	return out, nil
}

// BroadcastRequest is the body of POST /api/broadcast: the same data to
// several channels.
type BroadcastRequest struct {
	Channels       []string        `json:"channels"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
}

// BroadcastResult is one channel's outcome in a broadcast.
type BroadcastResult struct {
	Channel string `json:"channel"`
	hub.PublishOutcome
	Error *wire.Error `json:"error,omitempty"`
}

// maxBroadcastChannels bounds one broadcast.
const maxBroadcastChannels = 1000

func (a *Handler) broadcast(ctx context.Context, body []byte) (any, *wire.Error) {
	var req BroadcastRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	if len(req.Channels) == 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "channels is empty")
	}
	if len(req.Channels) > maxBroadcastChannels {
		return nil, wire.Errorf(wire.CodeLimitExceeded, false, "%d channels; a broadcast takes at most %d", len(req.Channels), maxBroadcastChannels)
	}
	// What no channel could take fails the whole call (each namespace's
	// size limit is still checked per channel).
	if werr := hub.ValidateData(req.Data, 0); werr != nil {
		return nil, werr
	}
	if werr := hub.ValidateIdempotencyKey(req.IdempotencyKey); werr != nil {
		return nil, werr
	}
	results := make([]BroadcastResult, len(req.Channels))
	for i, ch := range req.Channels {
		out, werr := a.hub.Publish(ctx, ch, req.Data, req.IdempotencyKey) // keys are per channel
		results[i] = BroadcastResult{Channel: ch, PublishOutcome: out, Error: werr}
	}
	return map[string]any{"results": results}, nil
}

// HistoryRequest is the body of POST /api/history.
type HistoryRequest struct {
	Channel string `json:"channel"`
	// Limit: 0 returns only the position, a negative value everything kept.
	Limit   int                 `json:"limit"`
	Since   *hub.StreamPosition `json:"since,omitempty"`
	Reverse bool                `json:"reverse,omitempty"`
}

// Publication is one publication in API replies.
type Publication struct {
	Offset uint64          `json:"offset"`
	Data   json.RawMessage `json:"data"`
	Info   *ClientInfo     `json:"info,omitempty"`
}

// ClientInfo describes a connection in API replies.
type ClientInfo struct {
	User     string          `json:"user"`
	Client   string          `json:"client"`
	ConnInfo json.RawMessage `json:"conn_info,omitempty"`
	ChanInfo json.RawMessage `json:"chan_info,omitempty"`
}

func clientInfo(ci *protocol.ClientInfo) *ClientInfo {
	if ci == nil {
		return nil
	}
	return &ClientInfo{User: ci.User, Client: ci.Client, ConnInfo: json.RawMessage(ci.ConnInfo), ChanInfo: json.RawMessage(ci.ChanInfo)}
}

func (a *Handler) history(ctx context.Context, body []byte) (any, *wire.Error) {
	var req HistoryRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	res, werr := a.hub.History(ctx, req.Channel, req.Limit, req.Since, req.Reverse)
	if werr != nil {
		return nil, werr
	}
	pubs := make([]Publication, len(res.Publications))
	for i, p := range res.Publications {
		pubs[i] = Publication{Offset: p.Offset, Data: json.RawMessage(p.Data), Info: clientInfo(p.Info)}
	}
	return map[string]any{"publications": pubs, "offset": res.Offset, "epoch": res.Epoch}, nil
}

// ChannelRequest is the body of presence and presence_stats.
type ChannelRequest struct {
	Channel string `json:"channel"`
}

func (a *Handler) presence(ctx context.Context, body []byte) (any, *wire.Error) {
	var req ChannelRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	list, total, werr := a.hub.Presence(ctx, req.Channel)
	if werr != nil {
		return nil, werr
	}
	out := make(map[string]*ClientInfo, len(list))
	for id, ci := range list {
		out[id] = clientInfo(ci)
	}
	return map[string]any{"presence": out, "total": total, "capped": total > len(out)}, nil
}

func (a *Handler) presenceStats(ctx context.Context, body []byte) (any, *wire.Error) {
	var req ChannelRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	clients, users, werr := a.hub.PresenceStats(ctx, req.Channel)
	if werr != nil {
		return nil, werr
	}
	return map[string]int{"num_clients": clients, "num_users": users}, nil
}

// SubscribeRequest is the body of subscribe and unsubscribe.
type SubscribeRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	// Client limits the call to one connection of the user.
	Client string `json:"client,omitempty"`
}

// DisconnectRequest is the body of disconnect. Each method has its own
// body type, so a field of another method (a "channel" here) is unknown
// and refused rather than ignored.
type DisconnectRequest struct {
	User   string `json:"user"`
	Client string `json:"client,omitempty"`
	// Session limits a disconnect to the connections whose token carried
	// this "sid" claim.
	Session string `json:"session,omitempty"`
	// Code and Reason of the disconnect (default 3503, no reconnect).
	Code   uint32 `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// checkUser refuses a user id no connection can have (wire.ValidateUserID:
// tokens with such a sub are refused), with what is wrong.
func checkUser(user string) *wire.Error {
	if user == "" {
		return wire.Errorf(wire.CodeBadRequest, false, "user is required")
	}
	if err := wire.ValidateUserID(user); err != nil {
		return wire.Errorf(wire.CodeBadRequest, false, "user: %s", err.Error())
	}
	return nil
}

func (a *Handler) subscribe(_ context.Context, body []byte) (any, *wire.Error) {
	var req SubscribeRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	if werr := checkUser(req.User); werr != nil {
		return nil, werr
	}
	if werr := a.hub.SubscribeUser(req.Channel, req.User, req.Client); werr != nil {
		return nil, werr
	}
	return struct{}{}, nil
}

func (a *Handler) unsubscribe(_ context.Context, body []byte) (any, *wire.Error) {
	var req SubscribeRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	if werr := checkUser(req.User); werr != nil {
		return nil, werr
	}
	if werr := a.hub.UnsubscribeUser(req.Channel, req.User, req.Client, ""); werr != nil {
		return nil, werr
	}
	return struct{}{}, nil
}

// maxDisconnectReasonBytes is what a WebSocket close frame holds of a
// reason (RFC 6455 §5.5); a longer one would reach the client cut.
const maxDisconnectReasonBytes = 123

func (a *Handler) disconnect(_ context.Context, body []byte) (any, *wire.Error) {
	var req DisconnectRequest
	if werr := decode(body, &req); werr != nil {
		return nil, werr
	}
	if werr := checkUser(req.User); werr != nil {
		return nil, werr
	}
	if len(req.Reason) > maxDisconnectReasonBytes {
		return nil, wire.Errorf(wire.CodeBadRequest, false,
			"reason is %d bytes; at most %d (what a WebSocket close frame holds)", len(req.Reason), maxDisconnectReasonBytes)
	}
	f := hub.ConnFilter{Client: req.Client, Session: req.Session}
	if werr := a.hub.DisconnectWhere(req.User, f, wire.Disconnect{Code: req.Code, Reason: req.Reason}); werr != nil {
		return nil, werr
	}
	return struct{}{}, nil
}

func (a *Handler) channels(ctx context.Context, body []byte) (any, *wire.Error) {
	if werr := decode(body, &struct{}{}); werr != nil {
		return nil, werr
	}
	list, err := a.hub.Channels(ctx)
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, true, "could not reach the nodes; retry")
	}
	return map[string]any{"channels": list}, nil
}

func (a *Handler) info(ctx context.Context, body []byte) (any, *wire.Error) {
	if werr := decode(body, &struct{}{}); werr != nil {
		return nil, werr
	}
	nodes, err := a.hub.Info(ctx)
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, true, "could not reach the nodes; retry")
	}
	return map[string]any{"nodes": nodes}, nil
}
