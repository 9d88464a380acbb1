package hub

import (
	"context"
	"time"
)

// When this node is cut off from the others for longer than the node
// timeout (a partition, a frozen or starved process), they take it for
// dead: their reapers delete its presence entries and announce a leave
// for each of its connections. A connection of this node that ends before
// this node puts its entries back (refreshPresence, once its link is back)
// must not be announced leaving a second time. For a while after such a
// moment a leave first asks the store whether its entry is still there.

// mayBeReapedFor is how long, after this node may have been taken for
// dead, a leave checks its entry first: longer than a link catch-up and
// the re-put that follows it.
func (h *Hub) mayBeReapedFor() time.Duration {
	return max(30*time.Second, 3*h.cfg.NodeTimeout)
}

// MayHaveBeenReaped tells the hub that the other nodes may have taken this
// one for dead just now (its link came back, its routes rejoined, or its
// own timers ran late by more than the node timeout).
func (h *Hub) MayHaveBeenReaped() {
	h.reapedUntil.Store(time.Now().Add(h.mayBeReapedFor()).UnixNano())
}

// leaveAnnounced reports whether the leave of c from channel id was
// announced already by another node's reaper: only in the window after
// MayHaveBeenReaped, when the entry is gone from the store. When it cannot
// tell, it says no (a second leave rather than none).
func (h *Hub) leaveAnnounced(ctx context.Context, c *Client, id ChannelID) bool {
	if time.Now().UnixNano() > h.reapedUntil.Load() {
		return false
	}
	live, err := h.broker.PresenceLive(ctx, id, c.id, c.User())
	if err != nil || live {
		return false
	}
	h.metrics.leavesReaped.Add(1)
	return true
}
