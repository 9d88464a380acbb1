package hub

import (
	"context"
	"sync"

	"github.com/liveroom-dev/liveroom/wire"
)

// AccessOp is what a guard is asked about.
type AccessOp uint8

// Access operations.
const (
	// AccessSubscribe: a client subscribe, a channel of the connection
	// token subscribed at connect, or a subscribe through the server API.
	// Asked before the subscription starts and again once it exists, so an
	// action that a guard starts refusing meanwhile (a ban) cannot race a
	// subscription in.
	AccessSubscribe AccessOp = iota
	// AccessPublish: a client publish or a server API publish.
	AccessPublish
	// AccessRead: history, presence and presence stats.
	AccessRead
)

func (op AccessOp) String() string {
	switch op {
	case AccessSubscribe:
		return "subscribe"
	case AccessPublish:
		return "publish"
	}
	return "read"
}

// Access describes one attempt to use a channel.
type Access struct {
	Op      AccessOp
	Channel string
	User    string     // "" for anonymous connections and the server API
	Client  string     // connection id; "" for the server API
	Roles   wire.Roles // the connection token's roles; do not modify
	Server  bool       // the server API acting for a backend
}

// Guard decides whether an access may happen: nil allows it, an error
// refuses it and reaches the client (or the API caller) as is. Guards run
// after the namespace's own rules, on the goroutine of the command, with
// its context; they may read the engine through a ModuleStore, but must
// not call the hub's subscribe, unsubscribe or publish methods.
type Guard func(ctx context.Context, a Access) *wire.Error

type guardTable struct {
	mu sync.RWMutex
	m  map[string]Guard // namespace → guard (mu)
}

// GuardNamespace makes g decide every subscribe, publish and read of the
// channels of namespace ns, on every path (client commands, connection
// token channels, the server API). A feature uses it to keep its rules on
// its channels, e.g. a banned user's subscriptions refused. One guard per
// namespace; registering again replaces it.
func (h *Hub) GuardNamespace(ns string, g Guard) {
	h.guards.mu.Lock()
	defer h.guards.mu.Unlock()
	if h.guards.m == nil {
		h.guards.m = make(map[string]Guard)
	}
	h.guards.m[ns] = g
}

// checkGuard asks the namespace's guard, if any.
func (h *Hub) checkGuard(ctx context.Context, ns string, a Access) *wire.Error {
	h.guards.mu.RLock()
	g := h.guards.m[ns]
	h.guards.mu.RUnlock()
	if g == nil {
		return nil
	}
	return g(ctx, a)
}

// access describes c using channel for op.
func (c *Client) access(op AccessOp, channel string) Access {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Access{Op: op, Channel: channel, User: c.user, Client: c.id, Roles: c.roles}
}
