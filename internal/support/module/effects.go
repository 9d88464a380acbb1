package module

import (
	"context"
	"encoding/json"
	"time"

	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// effects carries out what a decision asks for once its event is stored,
// after the conversation's lock is released: end a released agent's
// access first, then the index and the queue (when the conversation
// changed), typing indicators, and audit entries. A failure is logged;
// the stored event stands, and the index is repaired by the next change
// of that conversation (see docs/decisions/0018).
func (m *Module) effects(ctx context.Context, c *conv, d support.Decision, sum wire.SupportConversation) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, e := range d.Effects {
		if e.EndAccess != "" {
			for _, ch := range []string{wire.SupportChannel(c.id), wire.SupportTypingChannel(c.id)} {
				if werr := m.host.UnsubscribeUser(ch, e.EndAccess, "", ""); werr != nil {
					m.log.Error("could not end a released agent's subscriptions", "conversation", c.id, "user", e.EndAccess, "err", werr.Message)
				}
			}
		}
	}
	if len(d.Events) > 0 {
		m.indexed(ctx, sum)
	}
	for _, e := range d.Effects {
		switch {
		case e.Typing != "":
			m.typing(ctx, c, e.Typing, sum)
		case e.Audit != nil:
			m.appendTo(ctx, wire.SupportAuditChannel(e.Audit.Room), e.Audit)
		}
	}
}

// typing publishes a typing indicator, at most one per author per half
// TTL from this node (clients keep it up until Until).
func (m *Module) typing(ctx context.Context, c *conv, from string, sum wire.SupportConversation) {
	user := sum.User
	if from == wire.FromAgent {
		user = sum.Agent
	}
	now := m.now()
	ttl := m.cfg.Support.TypingTTL
	c.mu.Lock()
	last := c.typing[user]
	fresh := now.Sub(last) < ttl/2
	if !fresh {
		c.typing[user] = now
	}
	c.mu.Unlock()
	if fresh {
		return
	}
	data, _ := json.Marshal(wire.SupportTyping{Type: "typing", User: user, From: from, Until: now.Add(ttl).UnixMilli()})
	if _, werr := m.host.Publish(ctx, wire.SupportTypingChannel(c.id), data, ""); werr != nil {
		m.log.Info("typing indicator not sent", "conversation", c.id, "err", werr.Message)
	}
}
