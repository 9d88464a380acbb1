package hub

import (
	"context"
	"time"

	"github.com/centrifugal/protocol"
)

// Presence events travel between nodes as one kind byte followed by the
// Protobuf-encoded ClientInfo.
const (
	presenceJoin  byte = 1
	presenceLeave byte = 2
)

// publishPresenceEvent announces a join or leave to every node with
// subscribers of the channel.
func (h *Hub) publishPresenceEvent(id ChannelID, join bool, info []byte) {
	kind := presenceLeave
	if join {
		kind = presenceJoin
	}
	body := make([]byte, 0, 1+len(info))
	body = append(body, kind)
	body = append(body, info...)
	if err := h.broker.PublishEphemeral(id, EphemeralPresence, body); err != nil {
		h.log.Warn("presence event not sent", "channel", id.Name, "err", err)
	}
}

// onPresenceEvent pushes a join or leave to the channel's local
// subscribers.
func (ch *channel) onPresenceEvent(body []byte) {
	if len(body) < 1 {
		return
	}
	var info protocol.ClientInfo
	if err := info.UnmarshalCF(body[1:]); err != nil {
		ch.hub.log.Error("dropping undecodable presence event", "channel", ch.id.Name, "err", err)
		return
	}
	push := &protocol.Push{Channel: ch.id.Name}
	switch body[0] {
	case presenceJoin:
		push.Join = &protocol.Join{Info: &info}
	case presenceLeave:
		push.Leave = &protocol.Leave{Info: &info}
	default:
		return
	}
	var enc [2][]byte
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.stopped {
		return
	}
	for c := range ch.subs.all() {
		i := 0
		if c.proto != protocol.TypeJSON {
			i = 1
		}
		if enc[i] == nil {
			data, err := protocol.GetReplyEncoder(c.proto).Encode(&protocol.Reply{Push: push})
			if err != nil {
				return
			}
			enc[i] = data
		}
		c.enqueue(enc[i])
	}
}

// presenceRefreshLoop re-puts this node's presence entries before the
// bucket's TTL removes them, so only entries of vanished nodes expire.
func (h *Hub) presenceRefreshLoop() {
	defer h.wg.Done()
	interval := h.cfg.PresenceTTL / 3
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.refreshPresence()
		}
	}
}

func (h *Hub) refreshPresence() {
	h.refreshConnections()
	type entry struct {
		c *Client
		s *subscription
	}
	for _, ch := range h.channels.snapshot() {
		if !ch.ns.Presence {
			continue
		}
		ch.mu.Lock()
		entries := make([]entry, 0, ch.subs.len())
		for c, s := range ch.subs.all() {
			entries = append(entries, entry{c, s})
		}
		ch.mu.Unlock()
		for _, e := range entries {
			ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			err := h.broker.PresencePut(ctx, ch.id, e.c.id, e.c.User(), e.c.clientInfo(e.s))
			cancel()
			if err != nil {
				if h.ctx.Err() == nil {
					h.log.Warn("presence refresh failed", "channel", ch.id.Name, "err", err)
				}
				break
			}
			// The client may have left while its entry was re-put: take it
			// out again rather than leave a ghost until the TTL.
			ch.mu.Lock()
			cur, _ := ch.subs.get(e.c)
			still := cur == e.s
			ch.mu.Unlock()
			if !still {
				ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
				_ = h.broker.PresenceDelete(ctx, ch.id, e.c.id, e.c.User())
				cancel()
			}
		}
	}
}

// refreshConnections re-puts this node's connection records for the
// per-user limit before the TTL removes them.
func (h *Hub) refreshConnections() {
	if h.cfg.MaxConnectionsPerUser <= 0 {
		return
	}
	h.clients.each(func(c *Client) {
		c.mu.Lock()
		user, bound := c.user, c.bound
		c.mu.Unlock()
		if !bound || !h.countsTowardLimit(user) || h.ctx.Err() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		_ = h.broker.ConnectionPut(ctx, user, c.id)
		cancel()
		c.mu.Lock()
		gone := c.cleaned
		c.mu.Unlock()
		if gone { // closed while re-put: take the record out again
			h.releaseUser(c, user)
		}
	})
}
