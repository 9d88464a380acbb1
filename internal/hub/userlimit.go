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

// admitUser enforces MaxConnectionsPerUser, first on this node and then
// across every node. This node's own count (its connections of the user,
// and those being admitted) is exact and is checked without the engine. On
// success the caller binds the connection with reserved = true.
//
// Across nodes the connection is recorded first and the user's connections
// counted after, so two connections racing on two nodes can both be
// refused but the limit is never exceeded. A refused connection's record
// is removed at once. When the engine cannot answer within userLimitWait
// (a stream electing its leader after a node died, the moment its clients
// reconnect to the other nodes), the cluster-wide count is skipped and the
// connection admitted on this node's count alone: the limit protects
// against abuse, and refusing with a "do not reconnect" code would strand
// legitimate clients. Its record is written by the next presence refresh.
func (h *Hub) admitUser(ctx context.Context, c *Client, user string) *wire.Error {
	if !h.countsTowardLimit(user) {
		return nil
	}
	if !h.reserveUserWaiting(ctx, user) {
		return h.userLimitError(user)
	}
	werr := h.admitUserCluster(ctx, c, user)
	if werr != nil {
		h.clients.unreserveUser(user)
	}
	return werr
}

// reserveUserWaiting takes a place for one more connection of user on this
// node. When there is none it looks again every userLimitPoll for up to
// userLimitLocalWait: some of the user's connections may be connects
// whose sockets already closed and whose admission is still finishing
// (longer on a loaded machine), and refusing at once would tell the client
// not to reconnect (3504) for a limit about to free up.
func (h *Hub) reserveUserWaiting(ctx context.Context, user string) bool {
	deadline := time.Now().Add(userLimitLocalWait)
	for {
		if h.clients.reserveUser(user, h.cfg.MaxConnectionsPerUser) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		t := time.NewTimer(userLimitPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

func (h *Hub) userLimitError(user string) *wire.Error {
	return wire.Errorf(wire.CodeLimitExceeded, false, "user %q already has the most connections allowed (%d); close one first", user, h.cfg.MaxConnectionsPerUser)
}

// admitUserCluster is admitUser's count over every node.
func (h *Hub) admitUserCluster(ctx context.Context, c *Client, user string) *wire.Error {
	ctx, cancel := context.WithTimeout(ctx, userLimitWait)
	defer cancel()
	if err := h.broker.ConnectionPut(ctx, user, c.id); err != nil {
		h.log.Warn("connection limit not checked: the engine did not answer; admitting the connection", "user", user, "err", err)
		return nil
	}
	// This node's own connections of the user are counted exactly (the
	// connects being admitted included); of the other nodes', only those
	// recorded before this one count: of many arriving at once, the first
	// ones up to the limit get in.
	count := func() (int, error) {
		elsewhere, err := h.broker.ConnectionsElsewhereBefore(ctx, user, c.id)
		return h.clients.userConnections(user) - 1 + elsewhere, err
	}
	n, err := count()
	if err == nil && n >= h.cfg.MaxConnectionsPerUser {
		// Some of those may be connections on other nodes that closed
		// while being admitted (a flaky network dropping connects):
		// their records go within moments. Refusing now would tell the
		// client not to reconnect (3504) for a limit about to free up,
		// so count once more after a short wait.
		t := time.NewTimer(userLimitRecount)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
			n, err = count()
		}
	}
	if err != nil {
		h.log.Warn("connection limit not checked: the engine did not answer; admitting the connection", "user", user, "err", err)
		return nil
	}
	if n >= h.cfg.MaxConnectionsPerUser {
		h.forgetConnection(user, c.id)
		return h.userLimitError(user)
	}
	return nil
}

// userLimitWait bounds the per-user limit check of one connect.
const userLimitWait = 2 * time.Second

// userLimitLocalWait is how long a connect over the per-user limit on this
// node keeps looking for a place, every userLimitPoll, before it is refused.
const (
	userLimitLocalWait = 2 * time.Second
	userLimitPoll      = 100 * time.Millisecond
)

// userLimitRecount is how long a connection over the per-user limit across
// nodes waits before it is counted again (and refused if still over).
const userLimitRecount = 500 * time.Millisecond

// releaseUser forgets a closed connection for the per-user limit.
func (h *Hub) releaseUser(c *Client, user string) {
	if !h.countsTowardLimit(user) {
		return
	}
	h.forgetConnection(user, c.id)
}

// Retrying a connection record's removal: the first attempt waits up to
// connectionDeleteWait; then attempts run in the background, the pause
// doubling from connectionDeleteRetryMin to connectionDeleteRetryMax,
// until one succeeds, the record would have expired anyway (PresenceTTL)
// or the hub stops.
const (
	connectionDeleteWait     = 5 * time.Second
	connectionDeleteRetryMin = 250 * time.Millisecond
	connectionDeleteRetryMax = 5 * time.Second
)

// forgetConnection removes a connection's record (refused or closed) for
// the per-user limit. A record left behind would count against the user
// until the presence TTL: under load (a rush of connects of one user) the
// engine can take longer than the first attempt's wait, so a failed
// removal is retried in the background instead of being given up.
func (h *Hub) forgetConnection(user, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), connectionDeleteWait)
	err := h.broker.ConnectionDelete(ctx, user, id)
	cancel()
	if err == nil {
		return
	}
	if h.ctx.Err() != nil {
		// The hub has stopped (the node is shutting down, its engine may be
		// closed already): nothing can retry; the record expires with the
		// presence TTL, or another node's reaper removes it first.
		h.log.Debug("connection record left to expire: the node is shutting down", "user", user, "ttl", h.cfg.PresenceTTL, "err", err)
		return
	}
	h.log.Warn("connection record not removed yet; retrying in the background", "user", user, "err", err)
	expires := time.Now().Add(h.cfg.PresenceTTL)
	h.goBackground(func() {
		pause := connectionDeleteRetryMin
		for time.Now().Before(expires) {
			t := time.NewTimer(pause)
			select {
			case <-h.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(h.ctx, connectionDeleteWait)
			err := h.broker.ConnectionDelete(ctx, user, id)
			cancel()
			if err == nil {
				return
			}
			pause = min(2*pause, connectionDeleteRetryMax)
		}
		h.log.Warn("connection record not removed; it expires with the presence TTL", "user", user, "ttl", h.cfg.PresenceTTL)
	})
}
