package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// conv is one conversation's state on this node.
type conv struct {
	id string

	mu     sync.Mutex // serialises this conversation's commands on this node; guards the fields below
	state  *support.Conversation
	epoch  string               // of the support stream when last read ("" before)
	used   time.Time            // last command or read
	typing map[string]time.Time // user → last typing indicator sent from this node
}

// maxAttempts bounds how often a command is decided again after losing
// an append race.
const maxAttempts = 8

// conv returns the conversation's entry, creating it (not yet read) if
// needed. Past MaxCached entries, idle ones are dropped first.
func (m *Module) conv(id string) *conv {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.convs[id]
	if c == nil {
		if len(m.convs) >= m.cfg.MaxCached {
			m.evictLocked(now)
		}
		c = &conv{id: id, state: support.New(&m.cfg.Support, id), typing: map[string]time.Time{}}
		m.convs[id] = c
	}
	c.used = now
	return c
}

// evictLocked drops conversations unused for IdleAfter; if none is, it
// drops all but the newest half. Called with m.mu held; an entry being
// used keeps working (it is only unlinked), and the next use reloads it.
func (m *Module) evictLocked(now time.Time) {
	for id, c := range m.convs {
		if now.Sub(c.used) > m.cfg.IdleAfter {
			delete(m.convs, id)
		}
	}
	if len(m.convs) < m.cfg.MaxCached {
		return
	}
	cut := now.Add(-m.cfg.IdleAfter / 2)
	for id, c := range m.convs {
		if c.used.Before(cut) || len(m.convs) >= m.cfg.MaxCached {
			delete(m.convs, id)
		}
	}
}

// exec decides cmd in conversation id and stores its event. It returns
// the decision and the conversation's summary after it.
func (m *Module) exec(ctx context.Context, id string, cmd support.Command) (support.Decision, wire.SupportConversation, error) {
	c := m.conv(id)
	c.mu.Lock()
	d, err := m.execLocked(ctx, c, cmd)
	sum := c.state.Summary()
	c.mu.Unlock()
	if err == nil {
		m.effects(ctx, c, d, sum)
	}
	return d, sum, err
}

func (m *Module) execLocked(ctx context.Context, c *conv, cmd support.Command) (support.Decision, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := m.catchUp(ctx, c); err != nil {
			return support.Decision{}, err
		}
		d, err := c.state.Decide(cmd, m.now())
		if err != nil || len(d.Events) == 0 {
			return d, err
		}
		ev := d.Events[0] // a support decision has at most one event
		data, err := json.Marshal(ev)
		if err != nil {
			return support.Decision{}, fmt.Errorf("support: encode %s event: %w", ev.Type, err)
		}
		author := ev.User
		if author == "" {
			author = ev.Agent
		}
		var info *protocol.ClientInfo
		if author != "" {
			info = &protocol.ClientInfo{User: author}
		}
		pos, err := m.store.Append(ctx, wire.SupportChannel(c.id), data, info, c.state.Offset())
		if errors.Is(err, hub.ErrOffsetMoved) {
			continue // another node wrote first: catch up, decide again
		}
		if err != nil {
			return support.Decision{}, engineErr(c.id, err)
		}
		c.state.Apply(pos.Offset, ev)
		if res, ok := d.Reply.(wire.SupportSendResult); ok {
			res.Offset = pos.Offset
			d.Reply = res
		}
		return d, nil
	}
	return support.Decision{}, wire.Errorf(wire.CodeInternal, true, "conversation %q is too busy right now; retry", c.id)
}

// view runs fn on the conversation's current state.
func (m *Module) view(ctx context.Context, id string, fn func(*support.Conversation) error) error {
	c := m.conv(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := m.catchUp(ctx, c); err != nil {
		return err
	}
	return fn(c.state)
}

// catchUp applies every event stored after what the state has seen (one
// cheap read of the channel's top when nothing is new). A conversation is
// bounded (support.max_events, under the namespace's history size), so
// the first use replays it whole; no snapshot is needed.
func (m *Module) catchUp(ctx context.Context, c *conv) error {
	ch := wire.SupportChannel(c.id)
	top, err := m.store.Top(ctx, ch)
	if err != nil {
		return engineErr(c.id, err)
	}
	if c.epoch != "" && top.Epoch != c.epoch {
		m.log.Error("support history was reset; reloading the conversation from what is kept", "conversation", c.id)
		c.state = support.New(&m.cfg.Support, c.id)
	}
	c.epoch = top.Epoch
	if top.Offset <= c.state.Offset() {
		return nil
	}
	w, err := m.store.Read(ctx, ch, c.state.Offset(), -1)
	if errors.Is(err, hub.ErrUnrecoverable) {
		// Only if the configuration was changed under existing
		// conversations: replay what is kept.
		m.log.Error("support events are no longer kept; the conversation's older state is lost", "conversation", c.id, "first_kept", w.First)
		c.state = support.New(&m.cfg.Support, c.id)
		if w.First > 0 {
			w, err = m.store.Read(ctx, ch, w.First-1, -1)
		}
	}
	if err != nil {
		return engineErr(c.id, err)
	}
	for _, e := range w.Events {
		var ev wire.SupportEvent
		if err := json.Unmarshal(e.Data, &ev); err != nil {
			m.log.Warn("skipping an undecodable support event", "conversation", c.id, "offset", e.Offset, "err", err)
			ev = wire.SupportEvent{Type: "undecodable", At: e.Time.UnixMilli()}
		}
		c.state.Apply(e.Offset, ev)
	}
	return nil
}

// engineErr turns an engine failure into a temporary error for the client.
func engineErr(id string, err error) error {
	var werr *wire.Error
	if errors.As(err, &werr) {
		return werr
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return wire.Errorf(wire.CodeInternal, true, "support conversation %q did not answer in time; retry", id)
	}
	return fmt.Errorf("support conversation %s: %w", id, err)
}
