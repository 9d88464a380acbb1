package hub

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/liveroom-dev/liveroom/wire"
)

// RPCCall is one rpc command as a handler sees it.
type RPCCall struct {
	ClientID string
	User     string     // "" for anonymous connections
	Roles    wire.Roles // the connection token's roles (nil: none); do not modify
	Info     []byte     // the connection token's info claim (JSON; nil: none)
	Method   string
	Data     []byte // the request's JSON payload
	// Listed, when not nil, says whether a channel is in the connection
	// token's channel list. Such a connection may use no other channel
	// (docs/protocol.md), so a handler that acts on a channel for it must
	// refuse (103) one that is not listed. nil: the token lists none.
	Listed func(channel string) bool
}

// RPCHandler answers an rpc command with JSON data, or an error: a
// *wire.Error reaches the client as is; any other error is logged and the
// client gets 100 (internal, temporary).
type RPCHandler func(ctx context.Context, call RPCCall) ([]byte, error)

type rpcRegistry struct {
	mu sync.RWMutex
	m  map[string]RPCHandler // (mu)
}

func (r *rpcRegistry) get(method string) RPCHandler {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[method]
}

// RegisterRPC adds an RPC method. Method names are feature-qualified
// ("chat.send"); registering a name twice replaces the handler.
func (h *Hub) RegisterRPC(method string, fn RPCHandler) {
	h.rpc.mu.Lock()
	defer h.rpc.mu.Unlock()
	if h.rpc.m == nil {
		h.rpc.m = make(map[string]RPCHandler)
	}
	h.rpc.m[method] = fn
}

// The built-in "time" method returns the server clock, so clients can align
// countdowns: {"time": <Unix time in ms>}.
func (h *Hub) registerBuiltinRPC() {
	h.RegisterRPC(wire.MethodTime, func(context.Context, RPCCall) ([]byte, error) {
		return []byte(`{"time":` + strconv.FormatInt(h.now().UnixMilli(), 10) + `}`), nil
	})
}

func errorIs(err, target error) bool { return errors.Is(err, target) }

func asWireError(err error) (*wire.Error, bool) {
	var werr *wire.Error
	if errors.As(err, &werr) {
		return werr, true
	}
	return nil, false
}
