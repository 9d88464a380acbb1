package hub

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// commandTimeout bounds one command's engine work.
const commandTimeout = 10 * time.Second

func (h *Hub) now() time.Time { return time.Now() }

// dispatch runs one command on the connection's command goroutine, or
// answers it with refusal when that is set (a command that could not be
// decoded).
func (c *Client) dispatch(cmd *protocol.Command, refusal *wire.Error) {
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	switch {
	case state == stateClosed:
		return
	case state == stateConnecting && cmd.Connect == nil:
		// The connect command before this one failed.
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectBadRequest.Code, Reason: "command sent before a successful connect"})
		return
	case refusal != nil:
		c.replyError(cmd.Id, refusal)
		return
	}
	ctx, cancel := context.WithTimeout(c.hub.ctx, commandTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			c.hub.log.Error("command handler panicked", "client", c.id, "panic", r, "stack", string(debug.Stack()))
			c.replyError(cmd.Id, wire.Errorf(wire.CodeInternal, true, "internal server error"))
		}
	}()
	if n := requestCount(cmd); n > 1 {
		c.replyError(cmd.Id, wire.Errorf(wire.CodeBadRequest, false, "command %d sets %d requests; send one request per command", cmd.Id, n))
		return
	}
	var werr *wire.Error
	start := time.Now()
	defer func() {
		code := uint32(0)
		if werr != nil {
			code = werr.Code
		}
		c.hub.cfg.Observer.Command(commandKind(cmd), time.Since(start), code)
	}()
	switch {
	case cmd.Connect != nil:
		werr = c.handleConnect(ctx, cmd.Id, cmd.Connect)
	case cmd.Subscribe != nil:
		werr = c.handleSubscribe(ctx, cmd.Id, cmd.Subscribe)
	case cmd.Unsubscribe != nil:
		werr = c.handleUnsubscribe(cmd.Id, cmd.Unsubscribe)
	case cmd.Publish != nil:
		werr = c.handlePublish(ctx, cmd.Id, cmd.Publish)
	case cmd.History != nil:
		werr = c.handleHistory(ctx, cmd.Id, cmd.History)
	case cmd.Presence != nil:
		werr = c.handlePresence(ctx, cmd.Id, cmd.Presence)
	case cmd.PresenceStats != nil:
		werr = c.handlePresenceStats(ctx, cmd.Id, cmd.PresenceStats)
	case cmd.Rpc != nil:
		werr = c.handleRPC(ctx, cmd.Id, cmd.Rpc)
	case cmd.Refresh != nil:
		werr = c.handleRefresh(ctx, cmd.Id, cmd.Refresh)
	case cmd.SubRefresh != nil:
		werr = c.handleSubRefresh(cmd.Id, cmd.SubRefresh)
	case cmd.Send != nil:
		// Asynchronous messages have no handler in liveroom: features are
		// RPC methods. Nothing is replied, by the protocol's rules.
		c.hub.log.Debug("ignoring send command: use rpc", "client", c.id)
	case cmd.Ping != nil:
		c.send(&protocol.Reply{Id: cmd.Id, Ping: &protocol.PingResult{}})
	default:
		werr = wire.Errorf(wire.CodeBadRequest, false,
			"command %d has no request: set one of connect, subscribe, unsubscribe, publish, history, presence, presence_stats, rpc, refresh, sub_refresh", cmd.Id)
	}
	if werr != nil {
		c.replyError(cmd.Id, werr)
	}
}

// requestCount is how many request fields a command sets (the protocol
// allows one).
func requestCount(cmd *protocol.Command) int {
	n := 0
	for _, set := range []bool{cmd.Connect != nil, cmd.Subscribe != nil, cmd.Unsubscribe != nil, cmd.Publish != nil,
		cmd.Presence != nil, cmd.PresenceStats != nil, cmd.History != nil, cmd.Ping != nil, cmd.Send != nil,
		cmd.Rpc != nil, cmd.Refresh != nil, cmd.SubRefresh != nil} {
		if set {
			n++
		}
	}
	return n
}

// commandKind names a command for metrics and logs.
func commandKind(cmd *protocol.Command) string {
	switch {
	case cmd.Connect != nil:
		return "connect"
	case cmd.Subscribe != nil:
		return "subscribe"
	case cmd.Unsubscribe != nil:
		return "unsubscribe"
	case cmd.Publish != nil:
		return "publish"
	case cmd.History != nil:
		return "history"
	case cmd.Presence != nil:
		return "presence"
	case cmd.PresenceStats != nil:
		return "presence_stats"
	case cmd.Rpc != nil:
		return "rpc"
	case cmd.Refresh != nil:
		return "refresh"
	case cmd.SubRefresh != nil:
		return "sub_refresh"
	case cmd.Send != nil:
		return "send"
	case cmd.Ping != nil:
		return "ping"
	}
	return "unknown"
}

func (c *Client) handleConnect(ctx context.Context, id uint32, req *protocol.ConnectRequest) *wire.Error {
	h := c.hub
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	if state != stateConnecting {
		return wire.Errorf(wire.CodeBadRequest, false, "already connected")
	}
	now := h.now()
	began := time.Now() // orders from here on may have missed this connect
	var creds Credentials
	switch {
	case req.Token != "":
		var err error
		creds, err = h.auth.Connect(ctx, req.Token, now)
		if err != nil {
			if isTokenExpired(err) {
				c.mu.Lock()
				c.connectSeen = false
				if c.connectRefusedAt == 0 {
					// From the first refusal only: refusals one after
					// another must not keep an unauthenticated socket open.
					c.connectRefusedAt = time.Since(h.born)
				}
				c.mu.Unlock()
				return wire.Errorf(wire.CodeTokenExpired, false, "%s: get a new token and connect again", err.Error())
			}
			if d, ok := refusal(err); ok {
				h.log.Debug("connection refused", "client", c.id, "remote", c.remote.Addr().String(), "code", d.Code, "reason", d.Reason)
				c.Disconnect(d)
				return nil
			}
			h.log.Debug("connection refused: invalid token", "client", c.id, "remote", c.remote.Addr().String(), "reason", tokenReason(err))
			c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code, Reason: truncateReason(tokenReason(err))})
			return nil
		}
	case h.cfg.AllowAnonymous && !c.originless:
	case h.cfg.AllowAnonymous:
		// Native and server clients send no Origin; without a token such a
		// request could only ride on ambient credentials, which liveroom
		// never accepts.
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code, Reason: "connection token required: requests without an Origin header must connect with a token"})
		return nil
	default:
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code, Reason: "connection token required"})
		return nil
	}
	if max := h.cfg.MaxSubscriptions; max > 0 && len(creds.Channels) > max {
		// The token's channels are subscriptions like any other: holding
		// more than the limit would let a token lift it.
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code,
			Reason: truncateReason(fmt.Sprintf("token lists %d channels; client.max_subscriptions is %d", len(creds.Channels), max))})
		return nil
	}
	for _, name := range creds.Channels {
		if _, werr := h.resolveChannel(name); werr != nil {
			c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code,
				Reason: truncateReason(fmt.Sprintf("token channel %q: %s", name, werr.Message))})
			return nil
		}
	}
	if werr := h.admitUser(ctx, c, creds.User); werr != nil {
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectConnectionLimit.Code, Reason: truncateReason(werr.Message)})
		return nil
	}
	h.clients.bindUser(c, creds.User, h.countsTowardLimit(creds.User))
	c.mu.Lock()
	if c.state != stateConnecting {
		// Closed while being admitted: its cleanup ran before it was
		// bound, so the record admitUser wrote is removed here, or it
		// would count against the user until the presence TTL.
		c.mu.Unlock()
		h.clients.remove(c, creds.User, true)
		h.releaseUser(c, creds.User)
		return nil
	}
	c.state = stateConnected
	c.bound = true
	c.user = creds.User
	c.info = creds.Info
	c.roles = creds.Roles
	c.expiresAt = unixNano(creds.ExpiresAt)
	c.issuedAt = unixNano(creds.IssuedAt)
	c.login = creds.Session
	if len(creds.Channels) > 0 {
		c.allowList = make(map[string]struct{}, len(creds.Channels))
		for _, name := range creds.Channels {
			c.allowList[name] = struct{}{}
		}
	}
	c.mu.Unlock()
	if h.applyLateCuts(c, creds.User, began) {
		return nil
	}
	c.lastPingAt.Store(now.UnixNano())

	res := &protocol.ConnectResult{
		Client:  c.id,
		Version: h.cfg.Version,
		Node:    h.cfg.NodeID,
		Session: c.session,
		Time:    now.UnixMilli(),
		Pong:    h.cfg.PingInterval > 0,
		Ping:    uint32(h.cfg.PingInterval / time.Second),
	}
	if h.cfg.PingInterval > 0 && res.Ping == 0 {
		res.Ping = 1
	}
	if !creds.ExpiresAt.IsZero() {
		res.Expires = true
		res.Ttl = ttlSeconds(creds.ExpiresAt, now)
	}
	// Server-side subscriptions: their publications may start flowing
	// before the connect reply is built, so hold the queue until the reply
	// is at its head.
	c.out.cork()
	for _, name := range creds.Channels {
		var pos streamPos
		if r, ok := req.Subs[name]; ok && r.Recover {
			pos = streamPos{recover: true, epoch: r.Epoch, offset: r.Offset}
		}
		sr, werr := c.subscribeServerSide(ctx, name, pos)
		if werr != nil {
			h.log.Info("server-side subscription refused", "client", c.id, "channel", name, "err", werr.Message)
			continue
		}
		if res.Subs == nil {
			res.Subs = make(map[string]*protocol.SubscribeResult)
		}
		res.Subs[name] = sr
	}
	data, err := protocol.GetReplyEncoder(c.proto).Encode(&protocol.Reply{Id: id, Connect: res})
	if err != nil {
		c.out.uncork(nil)
		return wire.Errorf(wire.CodeInternal, true, "internal server error")
	}
	if c.out.uncork(data) {
		h.writers.schedule(c)
	}
	if st, down := h.downStatus(); down {
		var enc [2][]byte
		c.enqueue(statusFrame(&enc, c.proto, st))
	}
	return nil
}

func ttlSeconds(exp, now time.Time) uint32 {
	d := exp.Sub(now)
	if d <= 0 {
		return 0
	}
	return uint32((d + time.Second - 1) / time.Second)
}

func (c *Client) handleRefresh(ctx context.Context, id uint32, req *protocol.RefreshRequest) *wire.Error {
	h := c.hub
	if req.Token == "" {
		return wire.Errorf(wire.CodeBadRequest, false, "refresh needs a token")
	}
	now := h.now()
	began := time.Now()
	creds, err := h.auth.Connect(ctx, req.Token, now)
	if err != nil {
		if isTokenExpired(err) {
			return wire.Errorf(wire.CodeTokenExpired, false, "%s: get a new token", err.Error())
		}
		if d, ok := refusal(err); ok {
			c.Disconnect(d)
			return nil
		}
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code, Reason: truncateReason(tokenReason(err))})
		return nil
	}
	c.mu.Lock()
	if creds.User != c.user {
		c.mu.Unlock()
		c.Disconnect(wire.Disconnect{Code: wire.DisconnectInvalidToken.Code, Reason: "refresh token is for another user"})
		return nil
	}
	c.expiresAt = unixNano(creds.ExpiresAt)
	c.issuedAt = unixNano(creds.IssuedAt)
	c.login = creds.Session
	if creds.Info != nil {
		c.info = creds.Info
	}
	c.roles = creds.Roles
	c.mu.Unlock()
	if h.applyLateCuts(c, creds.User, began) {
		return nil
	}
	// The new token's roles may allow less: every subscription is checked
	// again before the reply, so none the token does not allow outlives
	// the refresh.
	c.recheckSubscriptions(ctx)
	res := &protocol.RefreshResult{}
	if !creds.ExpiresAt.IsZero() {
		res.Expires = true
		res.Ttl = ttlSeconds(creds.ExpiresAt, now)
	}
	c.send(&protocol.Reply{Id: id, Refresh: res})
	return nil
}

// tokenReason is the close reason for a refused token, said once.
func tokenReason(err error) string {
	msg := err.Error()
	for strings.HasPrefix(msg, "invalid token: invalid token") {
		msg = strings.TrimPrefix(msg, "invalid token: ")
	}
	if !strings.HasPrefix(msg, "invalid token") {
		msg = "invalid token: " + msg
	}
	return msg
}

func isTokenExpired(err error) bool { return err != nil && errorIs(err, ErrTokenExpired) }

// refusal is the disconnect an Authenticator asked for with a
// *DisconnectError (a revoked session, a blocked user), its reason cut to
// fit a close frame.
func refusal(err error) (wire.Disconnect, bool) {
	var de *DisconnectError
	if !errors.As(err, &de) {
		return wire.Disconnect{}, false
	}
	return wire.Disconnect{Code: de.Code, Reason: truncateReason(de.Reason)}, true
}

func (c *Client) handleRPC(ctx context.Context, id uint32, req *protocol.RPCRequest) *wire.Error {
	h := c.hub
	handler := h.rpc.get(req.Method)
	if handler == nil {
		return wire.Errorf(wire.CodeMethodNotFound, false, "unknown RPC method %q", req.Method)
	}
	c.mu.Lock()
	call := RPCCall{ClientID: c.id, User: c.user, Roles: c.roles, Info: c.info, Method: req.Method, Data: req.Data}
	if allow := c.allowList; allow != nil {
		call.Listed = func(channel string) bool {
			_, ok := allow[channel]
			return ok
		}
	}
	c.mu.Unlock()
	data, err := handler(ctx, call)
	if err != nil {
		if werr, ok := asWireError(err); ok {
			return werr
		}
		if werr := StoreFailedError(err); werr != nil {
			return werr
		}
		h.log.Error("RPC handler failed", "method", req.Method, "client", c.id, "err", err)
		return wire.Errorf(wire.CodeInternal, true, "internal server error in %s", req.Method)
	}
	c.send(&protocol.Reply{Id: id, Rpc: &protocol.RPCResult{Data: data}})
	return nil
}

func (c *Client) describe() string { return fmt.Sprintf("%s user %q", c.id, c.User()) }
