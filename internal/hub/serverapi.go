package hub

import (
	"context"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// The methods below serve the HTTP server API. They act cluster-wide: a
// command for a user's connections reaches every node over the control bus.

// Publish stores (or sends) a publication from the server side. A non-empty
// idempotency key makes a retry within 2 minutes return the first
// publication's offset without storing it again.
func (h *Hub) Publish(ctx context.Context, channel string, data []byte, idempotencyKey string) (PublishOutcome, *wire.Error) {
	ns, werr := h.resolveChannel(channel)
	if werr != nil {
		return PublishOutcome{}, werr
	}
	if werr := ValidateData(data, ns.MaxPublicationBytes); werr != nil {
		return PublishOutcome{}, werr
	}
	if werr := ValidateIdempotencyKey(idempotencyKey); werr != nil {
		return PublishOutcome{}, werr
	}
	if werr := h.checkGuard(ctx, ns.Name, Access{Op: AccessPublish, Channel: channel, Server: true}); werr != nil {
		return PublishOutcome{}, werr
	}
	if idempotencyKey != "" && !ns.HasHistory() {
		return PublishOutcome{}, wire.Errorf(wire.CodeBadRequest, false, "idempotency keys need a channel with history; namespace %q keeps none", ns.Name)
	}
	return h.publish(ctx, ChannelID{Name: channel, Namespace: ns.Name}, ns, data, nil, idempotencyKey)
}

// History reads a channel's history (see the history command).
func (h *Hub) History(ctx context.Context, channel string, limit int, since *StreamPosition, reverse bool) (*protocol.HistoryResult, *wire.Error) {
	ns, werr := h.resolveChannel(channel)
	if werr != nil {
		return nil, werr
	}
	if werr := h.checkGuard(ctx, ns.Name, Access{Op: AccessRead, Channel: channel, Server: true}); werr != nil {
		return nil, werr
	}
	return h.history(ctx, ChannelID{Name: channel, Namespace: ns.Name}, ns, limit, since, reverse)
}

// Presence lists a channel's connections (capped) and their total.
func (h *Hub) Presence(ctx context.Context, channel string) (map[string]*protocol.ClientInfo, int, *wire.Error) {
	ns, werr := h.resolveChannel(channel)
	if werr != nil {
		return nil, 0, werr
	}
	if werr := h.checkGuard(ctx, ns.Name, Access{Op: AccessRead, Channel: channel, Server: true}); werr != nil {
		return nil, 0, werr
	}
	return h.presence(ctx, ChannelID{Name: channel, Namespace: ns.Name}, ns)
}

// PresenceStats counts a channel's connections and distinct users.
func (h *Hub) PresenceStats(ctx context.Context, channel string) (clients, users int, werr *wire.Error) {
	ns, werr := h.resolveChannel(channel)
	if werr != nil {
		return 0, 0, werr
	}
	if werr := h.checkGuard(ctx, ns.Name, Access{Op: AccessRead, Channel: channel, Server: true}); werr != nil {
		return 0, 0, werr
	}
	return h.presenceStats(ctx, ChannelID{Name: channel, Namespace: ns.Name}, ns)
}

// SubscribeUser subscribes every connection of user (or only client) to
// channel, wherever it is connected.
func (h *Hub) SubscribeUser(channel, user, client string) *wire.Error {
	if _, werr := h.resolveChannel(channel); werr != nil {
		return werr
	}
	return h.control(controlCommand{Op: "subscribe", User: user, Client: client, Channel: channel})
}

// UnsubscribeUser ends user's subscriptions to channel on every node.
func (h *Hub) UnsubscribeUser(channel, user, client, reason string) *wire.Error {
	if _, werr := h.resolveChannel(channel); werr != nil {
		return werr
	}
	return h.control(controlCommand{Op: "unsubscribe", User: user, Client: client, Channel: channel, Reason: reason})
}

// RecheckUser asks the guards again about every subscription of user's
// connections, on every node, and ends those they now refuse (see
// recheckSubscriptions). A feature calls it after storing a change that
// takes rights away from the user (a role revoked in a room), so the
// subscriptions that change no longer allows end at once.
func (h *Hub) RecheckUser(user string) *wire.Error {
	return h.control(controlCommand{Op: "recheck", User: user})
}

// DisconnectUser closes user's connections (or only client) on every node.
func (h *Hub) DisconnectUser(user, client string, d wire.Disconnect) *wire.Error {
	if d.Code == 0 {
		d = wire.DisconnectForceNoReconnect
	}
	if d.Code < 3000 || d.Code > 4999 {
		return wire.Errorf(wire.CodeBadRequest, false, "disconnect code %d is outside 3000–4999", d.Code)
	}
	return h.control(controlCommand{Op: "disconnect", User: user, Client: client, Code: d.Code, Reason: d.Reason})
}

// ConnFilter selects some of a user's connections. Zero fields match
// every connection.
type ConnFilter struct {
	// Client is one connection id.
	Client string
	// Session is a sign-in session: the connections whose token carried
	// this "sid" (at connect or at their latest refresh).
	Session string
	// IssuedBefore selects the connections whose token was issued (iat)
	// before this moment; tokens without iat count as issued before any
	// moment.
	IssuedBefore time.Time
}

// DisconnectWhere closes the connections of user that match f on every
// node, with d (default 3503). It returns once the command is on the
// control bus; every node acts on it as it arrives (well under a second on
// a healthy cluster). Connections that reconnect later are the
// Authenticator's business: it must refuse their tokens.
func (h *Hub) DisconnectWhere(user string, f ConnFilter, d wire.Disconnect) *wire.Error {
	if d.Code == 0 {
		d = wire.DisconnectForceNoReconnect
	}
	if d.Code < 3000 || d.Code > 4999 {
		return wire.Errorf(wire.CodeBadRequest, false, "disconnect code %d is outside 3000–4999", d.Code)
	}
	cmd := controlCommand{Op: "disconnect", User: user, Client: f.Client, Session: f.Session, Code: d.Code, Reason: d.Reason}
	if !f.IssuedBefore.IsZero() {
		cmd.IssuedBefore = f.IssuedBefore.UnixNano()
	}
	return h.control(cmd)
}

func (h *Hub) control(cmd controlCommand) *wire.Error {
	if err := h.sendControl(cmd); err != nil {
		h.log.Error("control command not sent", "op", cmd.Op, "err", err)
		return wire.Errorf(wire.CodeInternal, true, "could not reach the nodes; retry")
	}
	return nil
}

// MaxIdempotencyKeyBytes bounds an idempotency key.
const MaxIdempotencyKeyBytes = 128

// ValidateIdempotencyKey accepts 1–128 printable ASCII characters (it
// travels in a message header).
func ValidateIdempotencyKey(key string) *wire.Error {
	if len(key) > MaxIdempotencyKeyBytes {
		return wire.Errorf(wire.CodeBadRequest, false, "idempotency key is %d bytes; the limit is %d", len(key), MaxIdempotencyKeyBytes)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return wire.Errorf(wire.CodeBadRequest, false, "idempotency key has a character outside printable ASCII at byte %d", i)
		}
	}
	return nil
}
