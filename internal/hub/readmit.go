package hub

import (
	"context"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Readmitter is what an Authenticator may also provide: whether a
// connection admitted earlier may stay, given its user, sign-in session
// and token issue time (a user blocked or deleted since, tokens revoked,
// the session ended). It returns nil to keep the connection, or the
// disconnect to close it with; an error means it could not tell.
type Readmitter interface {
	Readmit(ctx context.Context, user, session string, issuedAt time.Time) (*wire.Disconnect, error)
}

// readmitTimeout bounds one Readmit call.
const readmitTimeout = 5 * time.Second

// readmitAll asks the Readmitter again about every signed-in connection
// of this node and closes those it refuses. A block, a revocation or an
// ended session reaches the other nodes as a one-shot message on the
// control bus; a node cut off from them at that moment (a partition, a
// frozen process) never got it, and its connections of that user would
// stay open. The records the decision was made from are stored, so the
// node asks again once its link is back. One call per distinct user,
// session and issue time; connections it cannot ask about stay.
func (h *Hub) readmitAll(current func() bool) {
	r, ok := h.auth.(Readmitter)
	if !ok {
		return
	}
	type key struct {
		user, session string
		issuedAt      int64
	}
	byKey := map[key][]*Client{}
	h.clients.each(func(c *Client) {
		c.mu.Lock()
		k := key{c.user, c.login, c.issuedAt}
		ok := c.state == stateConnected && c.user != ""
		c.mu.Unlock()
		if ok {
			byKey[k] = append(byKey[k], c)
		}
	})
	closed, failed := 0, 0
	for k, cs := range byKey {
		if !current() {
			return
		}
		ctx, cancel := context.WithTimeout(h.ctx, readmitTimeout)
		var iat time.Time
		if k.issuedAt != 0 {
			iat = time.Unix(0, k.issuedAt)
		}
		d, err := r.Readmit(ctx, k.user, k.session, iat)
		cancel()
		switch {
		case err != nil:
			failed++
		case d != nil:
			for _, c := range cs {
				c.Disconnect(*d)
				closed++
			}
		}
	}
	if closed > 0 || failed > 0 {
		h.log.Info("connections checked again after the link came back", "users", len(byKey), "closed", closed, "could_not_check", failed)
	}
}
