package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// effects carries out what a stored decision asks for, in order: end a
// banned user's subscriptions first and have the guards check again those
// of a user whose rights changed, then the notices, then the audit
// entries. They run after the room's lock is released; a failure is
// logged (the decision itself is stored and stands).
func (m *Module) effects(ctx context.Context, r *room, d chat.Decision) {
	ctx = context.WithoutCancel(ctx)
	for _, e := range d.Effects {
		if e.EndAccess != "" {
			m.endAccess(r.id, e.EndAccess)
		}
	}
	for _, e := range d.Effects {
		if e.Recheck != "" {
			if werr := m.host.RecheckUser(e.Recheck); werr != nil {
				m.log.Error("could not have a user's subscriptions checked again", "room", r.id, "user", e.Recheck, "err", werr.Message)
			}
		}
	}
	for _, e := range d.Effects {
		if e.Notice != nil {
			m.notify(ctx, e.To, e.Notice)
		}
	}
	for _, e := range d.Effects {
		if e.Audit != nil {
			m.audit(ctx, r, e.Audit)
		}
	}
}

// endAccess ends a banned user's subscriptions to the room's channels on
// every node (the control bus), saying why; the guards refuse new ones
// from now on.
func (m *Module) endAccess(room, user string) {
	for _, ch := range []string{wire.ChatChannel(room), wire.ChatModChannel(room), wire.TypingChannel(room)} {
		if werr := m.host.UnsubscribeUser(ch, user, "", fmt.Sprintf("banned from chat room %q by a moderator; the notice on your personal channel has the details", room)); werr != nil {
			m.log.Error("could not end a banned user's subscriptions", "room", room, "user", user, "channel", ch, "err", werr.Message)
		}
	}
}

// notify publishes a notice to the user's personal channel. Guests have
// none (their user id is not theirs to subscribe to).
func (m *Module) notify(ctx context.Context, user string, n *wire.ChatNotice) {
	if user == "" || strings.HasPrefix(user, "guest:") {
		return
	}
	data, err := json.Marshal(n)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, werr := m.host.Publish(ctx, wire.PersonalChannel(user), data, ""); werr != nil {
		m.log.Info("chat notice not delivered", "user", user, "kind", n.Kind, "err", werr.Message)
	}
}

// auditWritable refuses a decision that must be audited while the audit
// log's store is known to have failed on this node: the action would be
// stored without its entry. Other failures of the audit write stay as
// described at audit.
func (m *Module) auditWritable(r *room, d chat.Decision) error {
	for _, e := range d.Effects {
		if e.Audit != nil {
			return m.store.Writable(wire.ChatAuditChannel(r.id))
		}
	}
	return nil
}

// audit appends an entry to the room's audit log (channel
// audit:chat.<room>, append-only), after the action it records is stored.
// A crash between the two loses the entry; the action stays in the room's
// own streams (see docs/decisions/0013).
func (m *Module) audit(ctx context.Context, r *room, e *wire.AuditEntry) {
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	ch := wire.ChatAuditChannel(r.id)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r.mu.Lock()
	expected := r.auditTop
	r.mu.Unlock()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		pos, err := m.store.Append(ctx, ch, data, nil, expected)
		if err == nil {
			r.mu.Lock()
			if pos.Offset > r.auditTop {
				r.auditTop = pos.Offset
			}
			r.mu.Unlock()
			return
		}
		if !errors.Is(err, hub.ErrOffsetMoved) {
			m.log.Error("audit entry not stored", "room", r.id, "action", e.Action, "err", err)
			return
		}
		top, err := m.store.Top(ctx, ch)
		if err != nil {
			m.log.Error("audit entry not stored", "room", r.id, "action", e.Action, "err", err)
			return
		}
		expected = top.Offset
	}
	m.log.Error("audit entry not stored: too many concurrent writers", "room", r.id, "action", e.Action)
}
