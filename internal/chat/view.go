package chat

import (
	"sort"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// StateFor is what a joining client needs: settings, the slow mode in
// force, the pinned message, the limits, and its own standing. A
// shadow-ban is never shown, not even to its user.
func (r *Room) StateFor(a Actor, now time.Time) wire.ChatState {
	ms := now.UnixMilli()
	p := r.Pub
	mod := r.IsModerator(a)
	me := wire.ChatMe{User: a.User, Roles: r.RolesOf(a), Moderator: mod}
	if _, banned := p.Bans[a.User]; banned {
		me.Banned = true
	}
	if until, on := p.Timeouts[a.User]; on && until > ms {
		me.Until = until
	}
	if slow := r.SlowMode(); slow > 0 && !mod {
		if last := r.merged(a.User).Last; last > 0 && last+int64(slow)*1000 > ms {
			me.NextAt = last + int64(slow)*1000
		}
	}
	return wire.ChatState{
		Room:       r.id,
		Settings:   p.Settings,
		SlowMode:   r.SlowMode(),
		AutoSlowOn: p.AutoOn,
		Pinned:     p.Pinned,
		Limits:     r.cfg.Limits(),
		Me:         me,
	}
}

// Queue is the moderation queue: held messages not yet decided (oldest
// first), open report groups (most reported first, then oldest), and the
// sanctions and roles in force.
func (r *Room) Queue(now time.Time) wire.ChatQueue {
	ms := now.UnixMilli()
	q := wire.ChatQueue{Held: []wire.ChatHeld{}, Reports: []wire.ChatReportGroup{}, Timeouts: map[string]int64{},
		Bans: []string{}, ShadowBans: []string{}, Roles: map[string]string{}}
	for _, h := range r.Priv.Held {
		if _, done := r.Pub.Released[h.Event.ID]; done {
			continue
		}
		ev := h.Event
		ev.Type = wire.EventMessage
		q.Held = append(q.Held, wire.ChatHeld{Message: ev, Reason: h.Reason})
	}
	for _, g := range r.Priv.Reports {
		rg := wire.ChatReportGroup{Target: g.Target, User: g.User, Reports: append([]wire.ChatReport(nil), g.Reports...), First: g.First, Last: g.Last}
		if g.Message != "" {
			ev := wire.ChatEvent{Type: wire.EventMessage, ID: g.Message, User: g.User, Text: g.Text}
			if m := r.Pub.msg(g.Message); m != nil {
				ev.At, ev.Text = m.At, m.Text
				if m.Deleted {
					ev.Type = wire.EventDelete
				}
			}
			rg.Message = &ev
		}
		q.Reports = append(q.Reports, rg)
	}
	sort.Slice(q.Reports, func(i, j int) bool {
		a, b := q.Reports[i], q.Reports[j]
		if len(a.Reports) != len(b.Reports) {
			return len(a.Reports) > len(b.Reports)
		}
		if a.First != b.First {
			return a.First < b.First
		}
		return a.Target < b.Target
	})
	for u, until := range r.Pub.Timeouts {
		if until > ms {
			q.Timeouts[u] = until
		}
	}
	for u := range r.Pub.Bans {
		q.Bans = append(q.Bans, u)
	}
	for u := range r.Priv.Shadow {
		q.ShadowBans = append(q.ShadowBans, u)
	}
	sort.Strings(q.Bans)
	sort.Strings(q.ShadowBans)
	for u, role := range r.Pub.Roles {
		q.Roles[u] = role
	}
	return q
}

// Settings returns the room's settings and its own term filter.
func (r *Room) Settings() wire.ChatSettingsResult {
	terms := append([]wire.ChatTerm{}, r.Priv.Terms...)
	return wire.ChatSettingsResult{Settings: r.Pub.Settings, Terms: terms}
}

// GrantedRole is the role granted to user in the room ("" if none).
func (r *Room) GrantedRole(user string) string { return r.Pub.Roles[user] }
