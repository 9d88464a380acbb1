package module

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
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

// topCache remembers the last offsets this node saw of the channels it
// appends to without a state of its own (the queue, audit logs), so an
// append is usually one round trip.
type topCache struct {
	mu sync.Mutex
	m  map[string]uint64 // channel → offset (mu)
}

func (t *topCache) get(ch string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[ch]
}

func (t *topCache) set(ch string, off uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) > 10000 {
		t.m = map[string]uint64{}
	}
	if off > t.m[ch] {
		t.m[ch] = off
	}
}

// appendTo appends v to a channel that several nodes write (the queue, an
// audit log): with the last offset this node knows as the expected one,
// re-reading the top after a conflict.
func (m *Module) appendTo(ctx context.Context, ch string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	expected := m.tops.get(ch)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		pos, err := m.store.Append(ctx, ch, data, nil, expected)
		if err == nil {
			m.tops.set(ch, pos.Offset)
			return
		}
		if !errors.Is(err, hub.ErrOffsetMoved) {
			m.log.Error("support event not stored", "channel", ch, "err", err)
			return
		}
		top, err := m.store.Top(ctx, ch)
		if err != nil {
			m.log.Error("support event not stored", "channel", ch, "err", err)
			return
		}
		expected = top.Offset
	}
	m.log.Error("support event not stored: too many concurrent writers", "channel", ch)
}
