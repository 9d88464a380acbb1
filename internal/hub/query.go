package hub

import (
	"context"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// canRead says whether c may read a channel's history and presence: it is
// subscribed, or the namespace would let it subscribe without a token.
func (c *Client) canRead(ctx context.Context, ns *Namespace, channel string) *wire.Error {
	if werr := c.hub.checkGuard(ctx, ns.Name, c.access(AccessRead, channel)); werr != nil {
		return werr
	}
	c.mu.Lock()
	_, subscribed := c.subs.get(channel)
	user, allow := c.user, c.allowList
	c.mu.Unlock()
	if subscribed {
		return nil
	}
	if allow != nil {
		if _, ok := allow[channel]; !ok {
			return wire.Errorf(wire.CodePermissionDenied, false, "channel %q is not in this connection's token channel list", channel)
		}
	}
	if ns.Subscribe == SubscribeToken {
		return wire.Errorf(wire.CodePermissionDenied, false, "subscribe to %q (with its token) before reading it", channel)
	}
	return subscribeAllowed(ns, channel, user)
}

func (c *Client) handleHistory(ctx context.Context, id uint32, req *protocol.HistoryRequest) *wire.Error {
	ns, werr := c.hub.resolveChannel(req.Channel)
	if werr != nil {
		return werr
	}
	if werr := c.canRead(ctx, ns, req.Channel); werr != nil {
		return werr
	}
	var since *StreamPosition
	if req.Since != nil {
		since = &StreamPosition{Offset: req.Since.Offset, Epoch: req.Since.Epoch}
	}
	res, werr := c.hub.history(ctx, ChannelID{Name: req.Channel, Namespace: ns.Name}, ns, int(req.Limit), since, req.Reverse)
	if werr != nil {
		return werr
	}
	if werr := c.hub.fitsQueue(res.Publications); werr != nil {
		return werr
	}
	c.send(&protocol.Reply{Id: id, History: res})
	return nil
}

// fitsQueue refuses, with 106, a history reply larger than half of what
// one connection may queue (client.queue_max_bytes): sent, it would close
// the connection as a slow consumer (3008) however fast the client reads,
// and a client that retries after reconnecting would loop. The error says
// how many of the publications fit, so the client can page (limit, since).
// The size counted is the one recoveries are limited by (limitRecovered).
func (h *Hub) fitsQueue(pubs []*protocol.Publication) *wire.Error {
	budget := h.cfg.QueueMaxBytes / 2
	total := replySize(pubs)
	if total <= budget {
		return nil
	}
	fit := 0
	for used := 0; fit < len(pubs); fit++ {
		if used += replySize(pubs[fit : fit+1]); used > budget {
			break
		}
	}
	return wire.Errorf(wire.CodeLimitExceeded, false,
		"the history reply would be about %d bytes, more than half of what a connection may queue (%d bytes): ask for at most %d publications (limit) and page with since",
		total, h.cfg.QueueMaxBytes, max(fit, 1))
}

func (c *Client) handlePresence(ctx context.Context, id uint32, req *protocol.PresenceRequest) *wire.Error {
	ns, werr := c.hub.resolveChannel(req.Channel)
	if werr != nil {
		return werr
	}
	if werr := c.canRead(ctx, ns, req.Channel); werr != nil {
		return werr
	}
	list, _, werr := c.hub.presence(ctx, ChannelID{Name: req.Channel, Namespace: ns.Name}, ns)
	if werr != nil {
		return werr
	}
	c.send(&protocol.Reply{Id: id, Presence: &protocol.PresenceResult{Presence: list}})
	return nil
}

// presence lists who is in a channel, capped at PresenceMaxList entries;
// total is the uncapped count.
func (h *Hub) presence(ctx context.Context, id ChannelID, ns *Namespace) (map[string]*protocol.ClientInfo, int, *wire.Error) {
	if !ns.Presence {
		return nil, 0, wire.Errorf(wire.CodeNotAvailable, false, "presence is off in namespace %q", ns.Name)
	}
	entries, total, err := h.broker.PresenceList(ctx, id, h.cfg.PresenceMaxList)
	if err != nil {
		return nil, 0, h.readError(id.Name, err)
	}
	out := make(map[string]*protocol.ClientInfo, len(entries))
	for _, e := range entries {
		var ci protocol.ClientInfo
		if err := ci.UnmarshalCF(e.Info); err != nil {
			ci = protocol.ClientInfo{User: e.User, Client: e.Client}
		}
		out[e.Client] = &ci
	}
	return out, total, nil
}

func (c *Client) handlePresenceStats(ctx context.Context, id uint32, req *protocol.PresenceStatsRequest) *wire.Error {
	ns, werr := c.hub.resolveChannel(req.Channel)
	if werr != nil {
		return werr
	}
	if werr := c.canRead(ctx, ns, req.Channel); werr != nil {
		return werr
	}
	clients, users, werr := c.hub.presenceStats(ctx, ChannelID{Name: req.Channel, Namespace: ns.Name}, ns)
	if werr != nil {
		return werr
	}
	c.send(&protocol.Reply{Id: id, PresenceStats: &protocol.PresenceStatsResult{NumClients: uint32(clients), NumUsers: uint32(users)}})
	return nil
}

// presenceStats counts connections and distinct users in a channel.
func (h *Hub) presenceStats(ctx context.Context, id ChannelID, ns *Namespace) (clients, users int, werr *wire.Error) {
	if !ns.Presence {
		return 0, 0, wire.Errorf(wire.CodeNotAvailable, false, "presence is off in namespace %q", ns.Name)
	}
	entries, _, err := h.broker.PresenceList(ctx, id, -1)
	if err != nil {
		return 0, 0, h.readError(id.Name, err)
	}
	seen := make(map[string]struct{}, len(entries))
	for _, e := range entries {
		seen[e.User] = struct{}{}
	}
	return len(entries), len(seen), nil
}
