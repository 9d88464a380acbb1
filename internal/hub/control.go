package hub

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// Control topics between nodes (see Broker.Broadcast and Gather).
const (
	topicCommand   = "cmd"
	topicHeartbeat = "nodes.heartbeat"
	topicInfo      = "nodes.info"
	topicChannels  = "nodes.channels"
	topicHeard     = "nodes.heard"

	gatherWait = time.Second
)

// controlCommand acts on a user's connections wherever they are.
type controlCommand struct {
	Op      string `json:"op"` // "disconnect", "subscribe", "unsubscribe", "recheck"
	User    string `json:"user"`
	Client  string `json:"client,omitempty"` // only this connection
	Channel string `json:"channel,omitempty"`
	Code    uint32 `json:"code,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Session and IssuedBefore narrow a disconnect (see ConnFilter).
	Session      string `json:"session,omitempty"`
	IssuedBefore int64  `json:"issued_before,omitempty"` // unix ns; 0 = any
}

// matches reports whether c is one of the connections cmd is for.
func (cmd *controlCommand) matches(c *Client) bool {
	if cmd.Client != "" && c.id != cmd.Client {
		return false
	}
	if cmd.Session == "" && cmd.IssuedBefore == 0 {
		return true
	}
	c.mu.Lock()
	login, iat := c.login, c.issuedAt
	c.mu.Unlock()
	if cmd.Session != "" && login != cmd.Session {
		return false
	}
	// A token without iat counts as issued at the dawn of time.
	return cmd.IssuedBefore == 0 || iat < cmd.IssuedBefore || iat == 0
}

// NodeInfo describes one node for the info API.
type NodeInfo struct {
	ID            string `json:"id"`
	Version       string `json:"version"`
	Clients       int64  `json:"clients"`
	Users         int    `json:"users"`
	Subscriptions int64  `json:"subscriptions"`
	Channels      int64  `json:"channels"`
	UptimeSeconds int64  `json:"uptime_seconds"`
}

// ChannelInfo is one channel with subscribers, for the channels API.
type ChannelInfo struct {
	Channel     string `json:"channel"`
	Subscribers int    `json:"subscribers"`
}

func (h *Hub) listenControl(ctx context.Context) error {
	h.nodes.init()
	subs := []struct {
		topic string
		fn    func(data []byte, reply string)
	}{
		{topicCommand, h.onControlCommand},
		{topicHeartbeat, h.onHeartbeat},
		{topicInfo, func(_ []byte, reply string) { h.replyJSON(reply, h.localInfo()) }},
		{topicChannels, func(_ []byte, reply string) { h.replyJSON(reply, h.localChannels()) }},
		{topicHeard, func(data []byte, reply string) { h.replyJSON(reply, h.hears(string(data))) }},
		{topicEmulation + nodeToken(h.cfg.NodeID), h.onEmulation},
	}
	for _, s := range subs {
		l, err := h.broker.Listen(ctx, s.topic, s.fn)
		if err != nil {
			for _, prev := range h.listeners {
				prev.Stop()
			}
			return err
		}
		h.listeners = append(h.listeners, l)
	}
	h.wg.Add(2)
	go h.heartbeatLoop()
	go h.reapLoop()
	return nil
}

func (h *Hub) replyJSON(reply string, v any) {
	if reply == "" {
		return
	}
	data, err := json.Marshal(v)
	if err == nil {
		_ = h.broker.Reply(reply, data)
	}
}

func (h *Hub) onControlCommand(data []byte, _ string) {
	var cmd controlCommand
	if err := json.Unmarshal(data, &cmd); err != nil {
		h.log.Error("malformed control command", "err", err)
		return
	}
	if cmd.Op == "disconnect" && cmd.Client == "" {
		// Before going through the connections: a connect bound after
		// this look finds the order in the log (applyLateCuts).
		h.cuts.add(cmd, time.Now())
	}
	for _, c := range h.clients.userClients(cmd.User) {
		if !cmd.matches(c) {
			continue
		}
		switch cmd.Op {
		case "disconnect":
			c.Disconnect(wire.Disconnect{Code: cmd.Code, Reason: truncateReason(cmd.Reason)})
		case "unsubscribe":
			c.serverUnsubscribeReason(cmd.Channel, unsubscribeServer, truncateReason(cmd.Reason))
		case "subscribe":
			go c.serverSubscribe(cmd.Channel)
		case "recheck":
			// The guards read the engine: not on the bus's goroutine.
			h.goBackground(func() {
				ctx, cancel := context.WithTimeout(h.ctx, commandTimeout)
				defer cancel()
				c.recheckSubscriptions(ctx)
			})
		}
	}
}

// serverSubscribe subscribes c to channel on the server's behalf and tells
// it with a subscribe push.
func (c *Client) serverSubscribe(channel string) {
	ctx, cancel := context.WithTimeout(c.hub.ctx, commandTimeout)
	defer cancel()
	c.mu.Lock()
	_, dup := c.subs.get(channel)
	c.mu.Unlock()
	if dup {
		return
	}
	res, werr := c.subscribeServerSide(ctx, channel, streamPos{})
	if werr != nil {
		c.hub.log.Info("server subscribe refused", "client", c.id, "channel", channel, "err", werr.Message)
		return
	}
	c.send(&protocol.Reply{Push: &protocol.Push{Channel: channel, Subscribe: &protocol.Subscribe{
		Recoverable: res.Recoverable, Positioned: res.Positioned, Epoch: res.Epoch, Offset: res.Offset,
	}}})
}

func (h *Hub) localInfo() NodeInfo {
	s := h.Stats()
	h.clients.mu.RLock()
	users := len(h.clients.byUser)
	h.clients.mu.RUnlock()
	return NodeInfo{
		ID: h.cfg.NodeID, Version: h.cfg.Version, Clients: s.ConnectionsOpen, Users: users,
		Subscriptions: s.Subscriptions, Channels: s.Channels, UptimeSeconds: int64(time.Since(h.started).Seconds()),
	}
}

func (h *Hub) localChannels() []ChannelInfo {
	var out []ChannelInfo
	for _, ch := range h.channels.snapshot() {
		ch.mu.Lock()
		n := ch.subs.len()
		ch.mu.Unlock()
		if n > 0 {
			out = append(out, ChannelInfo{Channel: ch.id.Name, Subscribers: n})
		}
	}
	return out
}

// gather asks every live node and decodes their answers.
func gather[T any](ctx context.Context, h *Hub, topic string) ([]T, error) {
	answers, err := h.broker.Gather(ctx, topic, nil, h.liveNodes(), gatherWait)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(answers))
	for _, a := range answers {
		var v T
		if json.Unmarshal(a, &v) == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// Info returns every live node's description.
func (h *Hub) Info(ctx context.Context) ([]NodeInfo, error) {
	nodes, err := gather[NodeInfo](ctx, h, topicInfo)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	return nodes, err
}

// Channels returns channels with subscribers on any node, with counts
// summed over nodes, sorted by name.
func (h *Hub) Channels(ctx context.Context) ([]ChannelInfo, error) {
	lists, err := gather[[]ChannelInfo](ctx, h, topicChannels)
	if err != nil {
		return nil, err
	}
	sum := map[string]int{}
	for _, l := range lists {
		for _, c := range l {
			sum[c.Channel] += c.Subscribers
		}
	}
	out := make([]ChannelInfo, 0, len(sum))
	for name, n := range sum {
		out = append(out, ChannelInfo{Channel: name, Subscribers: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out, nil
}

func (h *Hub) sendControl(cmd controlCommand) error {
	data, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	return h.broker.Broadcast(topicCommand, data)
}
