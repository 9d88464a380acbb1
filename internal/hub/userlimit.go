package hub

import (
	"context"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// countsTowardLimit reports whether c's connection is recorded for the
// cluster-wide per-user limit.
func (h *Hub) countsTowardLimit(user string) bool {
	return h.cfg.MaxConnectionsPerUser > 0 && user != ""
}

// admitUser enforces MaxConnectionsPerUser across every node: the
// connection is recorded first and the user's connections counted after,
// so two connections racing on two nodes can both be refused but the limit
// is never exceeded. A refused connection's record is removed at once.
func (h *Hub) admitUser(ctx context.Context, c *Client, user string) *wire.Error {
	if !h.countsTowardLimit(user) {
		return nil
	}
	if err := h.broker.ConnectionPut(ctx, user, c.id); err != nil {
		h.log.Warn("connection limit check failed", "user", user, "err", err)
		return wire.Errorf(wire.CodeInternal, true, "could not check the connection limit; reconnect")
	}
	n, err := h.broker.ConnectionCount(ctx, user)
	if err != nil || n > h.cfg.MaxConnectionsPerUser {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = h.broker.ConnectionDelete(dctx, user, c.id)
		cancel()
		if err != nil {
			return wire.Errorf(wire.CodeInternal, true, "could not check the connection limit; reconnect")
		}
		return wire.Errorf(wire.CodeLimitExceeded, false, "user %q already has %d connections (the limit is %d); close one first", user, n-1, h.cfg.MaxConnectionsPerUser)
	}
	return nil
}

// releaseUser forgets a closed connection for the per-user limit.
func (h *Hub) releaseUser(c *Client, user string) {
	if !h.countsTowardLimit(user) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.broker.ConnectionDelete(ctx, user, c.id); err != nil {
		h.log.Warn("connection record not removed; it expires with the presence TTL", "user", user, "err", err)
	}
}
