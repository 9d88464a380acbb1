package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// A room channel is the room's history (decision 0013), and a stream only
// grows: a delete, a clear or an edit is an event after the message it
// withdraws or replaces. What a client reads as history or recovers after
// that must not carry the withdrawn text (decision 0026) nor the text an
// edit replaced (decision 0027), so the room namespace's reads go through
// redactRoom. Each node folds, per room, the deletes, clears and edits of
// the kept events up to the position a reply names, reading only the
// events it has not folded yet.

// maxWithdrawnIDs bounds the deleted and edited message ids kept per
// room; past it the room's withdrawals are folded again from the kept
// events, which hold at most the namespace's history_size events.
const maxWithdrawnIDs = 4096

// withdrawals is what a room channel has withdrawn or replaced, folded
// from its kept events up to top.
type withdrawals struct {
	mu      sync.Mutex
	epoch   string
	top     uint64              // last event folded
	deleted map[string]bool     // deleted message ids
	edited  map[string]lastEdit // edited message ids: their latest edit
	cleared uint64              // a clear at this offset hides every message before it
	used    time.Time           // last use (Module.redactMu)
}

// lastEdit is a message's latest edit as folded: where it is and the text
// it gave the message.
type lastEdit struct {
	offset uint64
	text   string
	masked bool
}

// eventHead is the part of a room event redaction looks at.
type eventHead struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Message *struct {
		ID string `json:"id"`
	} `json:"message"`
}

// redactRoom is the room namespace's hub.Redactor: messages, edits and
// pins (their copies) of messages deleted, or before a clear, by top are
// served without their text, mentions and client id, marked "redacted";
// those of messages edited after them carry the latest edit's text
// instead of their own, a message marked "edited". Other events, and
// everything when nothing was withdrawn or replaced, are returned as they
// are.
func (m *Module) redactRoom(ctx context.Context, channel string, top hub.StreamPosition, pubs []*protocol.Publication) ([]*protocol.Publication, error) {
	heads := make([]eventHead, len(pubs))
	candidates := false
	for i, p := range pubs {
		if json.Unmarshal(p.Data, &heads[i]) != nil {
			continue // not a chat event: nothing to withdraw
		}
		switch heads[i].Type {
		case wire.EventMessage, wire.EventEdit, wire.EventPin:
			candidates = true
		}
	}
	if !candidates {
		return pubs, nil
	}
	w := m.withdrawalsOf(channel)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := m.foldWithdrawals(ctx, w, channel, top); err != nil {
		return nil, err
	}
	return hub.RewriteData(pubs, func(i int, p *protocol.Publication) ([]byte, error) {
		var id string // the message the event is about
		switch h := heads[i]; {
		case h.Type == wire.EventMessage || h.Type == wire.EventEdit:
			id = h.ID
		case h.Type == wire.EventPin && h.Message != nil:
			id = h.Message.ID
		default:
			return nil, nil
		}
		var data []byte
		var err error
		if e, ok := w.edited[id]; w.deleted[id] || p.Offset < w.cleared {
			data, err = redactedEvent(p.Data)
		} else if ok && e.offset > p.Offset {
			data, err = supersededEvent(p.Data, e)
		}
		if err != nil {
			return nil, fmt.Errorf("chat: redact %s offset %d: %w", channel, p.Offset, err)
		}
		return data, nil
	})
}

// redactedEvent is the event without what a withdrawal takes away: the
// text (and what is derived from it: mentions, the masked flag), the
// sender's client id, and for a pin the text of its copy.
func redactedEvent(data []byte) ([]byte, error) {
	var ev wire.ChatEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	strip := func(e *wire.ChatEvent) {
		e.Text, e.Mentions, e.Masked, e.CID = "", nil, false, ""
		e.Redacted = true
	}
	if ev.Type == wire.EventPin {
		if ev.Message != nil {
			msg := *ev.Message
			strip(&msg)
			ev.Message = &msg
		}
		ev.Redacted = true
	} else {
		strip(&ev)
	}
	return json.Marshal(ev)
}

// supersededEvent is the event with the text of the message's latest
// edit e in place of the text it was stored with: a message (marked
// "edited", its mentions those of the new text), an earlier edit, or a
// pin's copy.
func supersededEvent(data []byte, e lastEdit) ([]byte, error) {
	var ev wire.ChatEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, err
	}
	switch ev.Type {
	case wire.EventMessage:
		ev.Text, ev.Masked, ev.Mentions, ev.Edited = e.text, e.masked, chat.Mentions(e.text), true
	case wire.EventEdit:
		ev.Text, ev.Masked = e.text, e.masked
	case wire.EventPin:
		if ev.Message != nil {
			msg := *ev.Message
			msg.Text, msg.Masked, msg.Mentions, msg.Edited = e.text, e.masked, chat.Mentions(e.text), true
			ev.Message = &msg
		}
	}
	return json.Marshal(ev)
}

// withdrawalsOf returns the room channel's entry, creating it if needed.
func (m *Module) withdrawalsOf(channel string) *withdrawals {
	m.redactMu.Lock()
	defer m.redactMu.Unlock()
	w := m.redactions[channel]
	if w == nil {
		w = &withdrawals{deleted: map[string]bool{}, edited: map[string]lastEdit{}}
		m.redactions[channel] = w
	}
	w.used = m.now()
	return w
}

// foldWithdrawals brings w up to top: from scratch when the channel's
// epoch changed or too many ids piled up, otherwise only the events after
// what it folded. The caller holds w.mu.
func (m *Module) foldWithdrawals(ctx context.Context, w *withdrawals, channel string, top hub.StreamPosition) error {
	if w.epoch != top.Epoch || len(w.deleted)+len(w.edited) > maxWithdrawnIDs {
		w.epoch, w.top, w.cleared = top.Epoch, 0, 0
		clear(w.deleted)
		clear(w.edited)
	}
	if w.top >= top.Offset {
		return nil
	}
	win, err := m.store.Read(ctx, channel, w.top, -1)
	if errors.Is(err, hub.ErrUnrecoverable) {
		// Events after w.top were trimmed: what they withdrew is gone with
		// them, and the kept ones are read from the oldest.
		clear(w.deleted)
		clear(w.edited)
		w.cleared = 0
		if win.First == 0 {
			w.top = win.Top
			return nil
		}
		win, err = m.store.Read(ctx, channel, win.First-1, -1)
	}
	if err != nil {
		return fmt.Errorf("chat: read %s for withdrawals: %w", channel, err)
	}
	if win.Epoch != "" && win.Epoch != w.epoch {
		// Recreated between the top and this read: fold it whole next time.
		w.epoch, w.top = "", 0
		return fmt.Errorf("chat: %s changed epoch while reading its withdrawals", channel)
	}
	for _, e := range win.Events {
		if e.Offset <= w.top {
			continue
		}
		var h eventHead
		if json.Unmarshal(e.Data, &h) == nil {
			switch h.Type {
			case wire.EventDelete:
				w.deleted[h.ID] = true
			case wire.EventClear:
				w.cleared = e.Offset
			case wire.EventEdit:
				var ev wire.ChatEvent
				if json.Unmarshal(e.Data, &ev) == nil {
					w.edited[h.ID] = lastEdit{offset: e.Offset, text: ev.Text, masked: ev.Masked}
				}
			}
		}
		w.top = e.Offset
	}
	return nil
}

// dropIdleWithdrawals forgets the withdrawals of rooms no read used for
// IdleAfter; they are folded again from the stream when needed.
func (m *Module) dropIdleWithdrawals(now time.Time) {
	m.redactMu.Lock()
	defer m.redactMu.Unlock()
	for ch, w := range m.redactions {
		if now.Sub(w.used) > m.cfg.IdleAfter {
			delete(m.redactions, ch)
		}
	}
}
