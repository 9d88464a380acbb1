package hub

import (
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// cutLog remembers for a while the disconnect orders this node received
// (block a user, revoke tokens, end a session). An order closes the
// connections bound to its user when it arrives; a connect whose token
// the guard admitted just before the order was made, but which is bound
// only after the order went through the user's connections, would
// otherwise stay open until its token expires. Each connect and token
// refresh therefore looks, once bound, at the orders received since it
// began checking its token, and applies those that match it.
type cutLog struct {
	mu   sync.Mutex // guards cuts
	cuts []loggedCut
}

type loggedCut struct {
	at  time.Time // when it arrived (monotonic)
	cmd controlCommand
}

// Bounds of the log: an order is kept longer than any connect or refresh
// can take (their commands time out after commandTimeout), and a flood of
// orders costs bounded memory (the oldest go first).
const (
	cutMemory  = 2 * commandTimeout
	maxCutsLog = 16384
)

// add records a disconnect order received at now.
func (l *cutLog) add(cmd controlCommand, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	drop := 0
	for drop < len(l.cuts) && (now.Sub(l.cuts[drop].at) > cutMemory || len(l.cuts)-drop >= maxCutsLog) {
		drop++
	}
	if drop > 0 {
		l.cuts = append(l.cuts[:0], l.cuts[drop:]...)
	}
	l.cuts = append(l.cuts, loggedCut{at: now, cmd: cmd})
}

// since returns the orders for user received at or after t, oldest first.
func (l *cutLog) since(user string, t time.Time) []controlCommand {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []controlCommand
	for i := len(l.cuts) - 1; i >= 0 && !l.cuts[i].at.Before(t); i-- {
		if l.cuts[i].cmd.User == user {
			out = append(out, l.cuts[i].cmd)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// applyLateCuts closes c if a disconnect order received since began (the
// moment its token started being checked) matches it. It runs after c was
// bound to user with the token's session and issue time: an order
// recorded after this look went through the user's connections after the
// binding, and found c itself. It reports whether c was closed.
func (h *Hub) applyLateCuts(c *Client, user string, began time.Time) bool {
	for _, cmd := range h.cuts.since(user, began) {
		if cmd.Client == "" && cmd.matches(c) {
			c.Disconnect(wire.Disconnect{Code: cmd.Code, Reason: truncateReason(cmd.Reason)})
			return true
		}
	}
	return false
}
