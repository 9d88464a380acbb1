package hub

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// Unsubscribe push codes (client.proto, message Unsubscribe).
const (
	unsubscribeServer            = wire.UnsubscribeServer
	unsubscribeInsufficientState = wire.UnsubscribeInsufficientState
	unsubscribeExpired           = wire.UnsubscribeExpired
)

func (c *Client) handleSubscribe(ctx context.Context, id uint32, req *protocol.SubscribeRequest) *wire.Error {
	h := c.hub
	ns, werr := h.resolveChannel(req.Channel)
	if werr != nil {
		return werr
	}
	c.mu.Lock()
	user, allow := c.user, c.allowList
	_, dup := c.subs.get(req.Channel)
	n := c.subs.len()
	c.mu.Unlock()
	if dup {
		return wire.Errorf(wire.CodeAlreadySubscribed, false, "already subscribed to %q", req.Channel)
	}
	if max := h.cfg.MaxSubscriptions; max > 0 && n >= max {
		return wire.Errorf(wire.CodeLimitExceeded, false, "a connection may hold %d subscriptions; unsubscribe from one first", max)
	}
	if allow != nil {
		if _, ok := allow[req.Channel]; !ok {
			return wire.Errorf(wire.CodePermissionDenied, false, "channel %q is not in this connection's token channel list", req.Channel)
		}
	}
	s := &subscription{ns: ns}
	switch req.Delta {
	case "":
	case deltaFossil:
		// Negotiated where the namespace allows it; elsewhere the
		// subscription goes on without (SubscribeResult.delta false).
		s.delta = ns.Delta && ns.HasHistory()
	default:
		return wire.Errorf(wire.CodeBadRequest, false, "delta compression %q is not supported: ask for %q or none", req.Delta, deltaFossil)
	}
	if ns.Subscribe == SubscribeToken {
		if req.Token == "" {
			return wire.Errorf(wire.CodePermissionDenied, false, "channel %q needs a subscription token", req.Channel)
		}
		grant, err := h.auth.Subscribe(req.Token, req.Channel, user, h.now())
		if err != nil {
			if isTokenExpired(err) {
				return wire.Errorf(wire.CodeTokenExpired, false, "subscription %s: get a new token", err.Error())
			}
			return wire.Errorf(wire.CodePermissionDenied, false, "subscription token refused: %s", err.Error())
		}
		s.chanInfo, s.expiresAt = grant.Info, grant.ExpiresAt
	} else if werr := subscribeAllowed(ns, req.Channel, user); werr != nil {
		return werr
	}
	pos := streamPos{recover: req.Recover, epoch: req.Epoch, offset: req.Offset,
		rejectUnrecovered: req.Flag&subscribeFlagRejectUnrecovered != 0}
	_, werr = c.subscribe(ctx, req.Channel, s, pos, func(res *protocol.SubscribeResult) {
		if !s.expiresAt.IsZero() {
			res.Expires = true
			res.Ttl = ttlSeconds(s.expiresAt, h.now())
		}
		c.send(&protocol.Reply{Id: id, Subscribe: res})
	})
	return werr
}

// subscribeServerSide subscribes c to a channel named in its token. The
// token grants it, so only the name and namespace are checked.
func (c *Client) subscribeServerSide(ctx context.Context, name string, pos streamPos) (*protocol.SubscribeResult, *wire.Error) {
	ns, werr := c.hub.resolveChannel(name)
	if werr != nil {
		return nil, werr
	}
	return c.subscribe(ctx, name, &subscription{ns: ns, serverSide: true}, pos, nil)
}

// subscribe joins the channel, records the subscription and announces it.
// onJoin, when set, queues the reply (under the channel lock).
func (c *Client) subscribe(ctx context.Context, name string, s *subscription, pos streamPos, onJoin func(*protocol.SubscribeResult)) (*protocol.SubscribeResult, *wire.Error) {
	h := c.hub
	ns := s.ns
	id := ChannelID{Name: name, Namespace: ns.Name}
	if werr := h.checkGuard(ctx, ns.Name, c.access(AccessSubscribe, name)); werr != nil {
		return nil, werr
	}
	ch, err := h.channels.acquire(ctx, h, id, ns)
	if err != nil {
		h.log.Warn("channel unavailable", "channel", name, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, true, "channel %q is unavailable right now; retry", name)
	}
	s.ch = ch
	info := c.clientInfo(s)
	putLater := false
	if ns.Presence {
		// Presence is written before the subscription exists, so the
		// cleanup of a connection that closes meanwhile always deletes it
		// after this write. An engine that does not answer in time (the
		// presence stream electing a leader after a node died, just when
		// that node's clients come back here) does not keep the client
		// out: it joins, and the entry is written again shortly.
		pctx, cancel := context.WithTimeout(ctx, presenceWriteWait)
		_, err := c.putPresence(pctx, s, id, info, true)
		cancel()
		if err != nil {
			h.log.Warn("presence write failed; joining anyway and writing it again shortly", "channel", name, "err", err)
			putLater = true
		}
	}
	var result *protocol.SubscribeResult
	joined := false
	err = ch.join(ctx, c, s, pos, func(res *protocol.SubscribeResult) bool {
		c.mu.Lock()
		_, dup := c.subs.get(name)
		ok := c.state != stateClosed && !c.cleaned && !dup
		if ok {
			c.subs.put(name, s)
		}
		c.mu.Unlock()
		if !ok {
			return false
		}
		joined = true
		result = res
		if onJoin != nil {
			onJoin(res) // queues the reply; c.mu must not be held (lock order: channel, client, queue)
		}
		return true
	})
	if err == nil && !joined {
		err = errClientGone
	}
	if err != nil {
		if ns.Presence {
			_ = c.abandonPresence(context.WithoutCancel(ctx), s, id)
		}
		h.channels.release(ch)
		if errors.Is(err, errClientGone) {
			return nil, wire.Errorf(wire.CodeAlreadySubscribed, false, "already subscribed to %q", name)
		}
		if errors.Is(err, errUnrecoverablePosition) {
			why := strings.TrimPrefix(err.Error(), errUnrecoverablePosition.Error()+": ")
			return nil, wire.Errorf(wire.CodeUnrecoverable, false, "cannot recover %q: %s", name, why)
		}
		h.log.Warn("join failed", "channel", name, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, true, "could not join %q right now; retry", name)
	}
	if putLater {
		h.goBackground(func() { h.putPresenceLater(c, s, ch, info) })
	}
	if ns.JoinLeave {
		h.publishPresenceEvent(id, true, info)
	}
	// Asked again now that the subscription exists: a refusal decided
	// while it was being set up (a ban whose cluster-wide unsubscribe went
	// out before this subscription was registered) still ends it.
	if werr := h.checkGuard(ctx, ns.Name, c.access(AccessSubscribe, name)); werr != nil {
		c.serverUnsubscribeReason(name, unsubscribeServer, werr.Message)
	}
	return result, nil
}

var errClientGone = errors.New("client closed or already subscribed")

// recheckSubscriptions asks the guards again about every subscription of
// c, with the connection's credentials as they are now, and ends each one
// a guard refuses: unsubscribe 2000 with the guard's reason, or 2500 when
// the refusal is temporary (the guard could not decide; the client
// resubscribes and the subscribe is checked again). It runs when what a
// connection may use can have shrunk: a refresh with new roles, or a
// feature's word that a user's rights changed (Hub.RecheckUser). Called
// with no lock held; the guards may read the engine.
func (c *Client) recheckSubscriptions(ctx context.Context) {
	type held struct {
		name string
		s    *subscription
	}
	c.mu.Lock()
	subs := make([]held, 0, c.subs.len())
	for name, s := range c.subs.all() {
		subs = append(subs, held{name, s})
	}
	c.mu.Unlock()
	for _, x := range subs {
		werr := c.hub.checkGuard(ctx, x.s.ns.Name, c.access(AccessSubscribe, x.name))
		if werr == nil {
			continue
		}
		code := unsubscribeServer
		if werr.Temporary {
			code = unsubscribeInsufficientState
		}
		c.endSubscription(x.name, x.s, code, werr.Message)
	}
}

// deltaFossil is the only delta compression of the protocol
// (SubscribeRequest.delta): fossil deltas between consecutive publications.
const deltaFossil = "fossil"

// subscribeAllowed applies a namespace's subscribe rule for rules that need
// no token.
func subscribeAllowed(ns *Namespace, channel, user string) *wire.Error {
	switch ns.Subscribe {
	case SubscribeAnonymous:
		return nil
	case SubscribeAuthenticated:
		if user == "" {
			return wire.Errorf(wire.CodePermissionDenied, false, "sign in to subscribe to %q", channel)
		}
		return nil
	case SubscribeUser:
		if user == "" || channelRest(channel) != user {
			return wire.Errorf(wire.CodePermissionDenied, false, "channel %q belongs to another user", channel)
		}
		return nil
	case SubscribeToken:
		return wire.Errorf(wire.CodePermissionDenied, false, "channel %q needs a subscription token", channel)
	}
	return wire.Errorf(wire.CodePermissionDenied, false, "subscriptions to %q are not allowed", channel)
}

func (c *Client) handleUnsubscribe(id uint32, req *protocol.UnsubscribeRequest) *wire.Error {
	c.mu.Lock()
	s, ok := c.subs.remove(req.Channel)
	c.mu.Unlock()
	if ok {
		c.hub.leaveChannel(c, req.Channel, s, true)
	}
	// Unsubscribing from a channel one is not subscribed to succeeds: the
	// outcome the client asked for holds.
	c.send(&protocol.Reply{Id: id, Unsubscribe: &protocol.UnsubscribeResult{}})
	return nil
}

// serverUnsubscribe ends a subscription from the server side and tells the
// client with an unsubscribe push. Safe to call under the channel lock: the
// rest of the work runs on its own goroutine.
func (c *Client) serverUnsubscribe(channel string, code uint32) {
	c.serverUnsubscribeReason(channel, code, "")
}

// serverUnsubscribeReason is serverUnsubscribe with a reason for the
// client ("" for the code's usual one).
func (c *Client) serverUnsubscribeReason(channel string, code uint32, reason string) {
	c.endSubscription(channel, nil, code, reason)
}

// endSubscription is serverUnsubscribeReason for the subscription only
// (nil: whichever c holds to channel): one that replaced it since is left
// alone.
func (c *Client) endSubscription(channel string, only *subscription, code uint32, reason string) {
	c.mu.Lock()
	s, ok := c.subs.get(channel)
	if ok && (only == nil || s == only) {
		c.subs.remove(channel)
	} else {
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return
	}
	switch {
	case reason != "":
	case code == unsubscribeInsufficientState:
		reason = "missed publications could not be delivered; resubscribe to recover"
	case code == unsubscribeExpired:
		reason = "subscription token expired; resubscribe with a new one"
	default:
		reason = "unsubscribed by the server"
	}
	c.send(&protocol.Reply{Push: &protocol.Push{Channel: channel, Unsubscribe: &protocol.Unsubscribe{Code: code, Reason: reason}}})
	go c.hub.leaveChannel(c, channel, s, true)
}

// leaveChannel removes c from the channel, its presence, and announces the
// leave. The caller has already removed s from c.subs.
func (h *Hub) leaveChannel(c *Client, name string, s *subscription, live bool) {
	removed := s.ch.removeSubscriber(c, s)
	id := ChannelID{Name: name, Namespace: s.ns.Name}
	if removed {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		announced := s.ns.Presence && s.ns.JoinLeave && h.leaveAnnounced(ctx, c, id)
		if s.ns.Presence {
			if _, err := c.deletePresence(ctx, s, id); err != nil {
				h.log.Warn("presence delete failed; the entry expires with its TTL", "channel", name, "err", err)
			}
		}
		cancel()
		if s.ns.JoinLeave && !announced {
			h.publishPresenceEvent(id, false, c.clientInfo(s))
		}
	}
	h.channels.release(s.ch)
	_ = live
}

// clientInfo is the ClientInfo of c in a subscription, Protobuf-encoded.
func (c *Client) clientInfo(s *subscription) []byte {
	c.mu.Lock()
	ci := &protocol.ClientInfo{User: c.user, Client: c.id, ConnInfo: c.info}
	c.mu.Unlock()
	if s != nil {
		ci.ChanInfo = s.chanInfo
	}
	b, _ := ci.MarshalCF()
	return b
}

func (c *Client) handleSubRefresh(id uint32, req *protocol.SubRefreshRequest) *wire.Error {
	h := c.hub
	c.mu.Lock()
	s, ok := c.subs.get(req.Channel)
	user := c.user
	c.mu.Unlock()
	if !ok {
		return wire.Errorf(wire.CodeBadRequest, false, "not subscribed to %q", req.Channel)
	}
	if s.ns.Subscribe != SubscribeToken {
		return wire.Errorf(wire.CodeBadRequest, false, "subscriptions to %q do not use tokens", req.Channel)
	}
	now := h.now()
	grant, err := h.auth.Subscribe(req.Token, req.Channel, user, now)
	if err != nil {
		if isTokenExpired(err) {
			return wire.Errorf(wire.CodeTokenExpired, false, "subscription %s: get a new token", err.Error())
		}
		return wire.Errorf(wire.CodePermissionDenied, false, "subscription token refused: %s", err.Error())
	}
	c.mu.Lock()
	s.expiresAt = grant.ExpiresAt
	c.mu.Unlock()
	res := &protocol.SubRefreshResult{}
	if !grant.ExpiresAt.IsZero() {
		res.Expires = true
		res.Ttl = ttlSeconds(grant.ExpiresAt, now)
	}
	c.send(&protocol.Reply{Id: id, SubRefresh: res})
	return nil
}

// presenceWriteWait bounds the presence write of one subscribe.
const presenceWriteWait = 2 * time.Second

// putPresenceLater writes the presence entry of a subscription whose
// write failed at subscribe, retrying until it is stored, the subscription
// ends, or the presence TTL passes (the refresh loop takes over then). It
// writes only while s owns the entry (see putPresence), so an entry is
// never written back after the subscription's leave.
func (h *Hub) putPresenceLater(c *Client, s *subscription, ch *channel, info []byte) {
	deadline := time.Now().Add(h.cfg.PresenceTTL)
	for time.Now().Before(deadline) {
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		ctx, cancel := context.WithTimeout(h.ctx, presenceWriteWait)
		wrote, err := c.putPresence(ctx, s, ch.id, info, false)
		cancel()
		if !wrote && err == nil {
			return // s left (its leave deleted the entry) or was replaced
		}
		if err != nil {
			continue
		}
		return
	}
}
