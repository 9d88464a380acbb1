package chat

import (
	"fmt"
	"strings"

	"github.com/liveroom-dev/liveroom/wire"
)

var okReply = wire.ChatOK{OK: true}

// moderate decides a moderation action. Every action that changes
// something is audited; doing what is already done succeeds without an
// event.
func (r *Room) moderate(c Moderate, now int64) (Decision, error) {
	if !r.IsModerator(c.Actor) {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "only moderators of room %q can %s", r.id, c.Action)
	}
	if c.Subject != "" {
		if err := wire.ValidateUserID(c.Subject); err != nil {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "%s: %s", c.Action, err.Error())
		}
	}
	reason, werr := r.cleanReason(c.Reason, false)
	if werr != nil {
		return Decision{}, werr
	}
	switch c.Action {
	case wire.ActDelete:
		return r.delete(c.Actor, c.ID, reason, c.Old, now)
	case wire.ActTimeout, wire.ActUntimeout, wire.ActBan, wire.ActUnban, wire.ActShadowBan, wire.ActUnshadowBan:
		return r.sanction(c, reason, now)
	case wire.ActClear:
		d := r.public(wire.ChatEvent{Type: wire.EventClear, At: now, Mod: true})
		return r.audited(d, c.Actor, c.Action, "", "", reason, "", now), nil
	case wire.ActPin:
		m := r.Pub.msg(c.ID)
		if m == nil || m.Deleted {
			return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no message %q to pin: it is deleted or too old", c.ID)
		}
		copyOf := wire.ChatEvent{Type: wire.EventMessage, At: m.At, ID: m.ID, User: m.User, Text: m.Text}
		d := r.public(wire.ChatEvent{Type: wire.EventPin, At: now, ID: m.ID, Message: &copyOf, Mod: true})
		return r.audited(d, c.Actor, c.Action, m.User, m.ID, reason, quote(m.Text), now), nil
	case wire.ActUnpin:
		if r.Pub.Pinned == nil {
			return Decision{Reply: okReply}, nil
		}
		d := r.public(wire.ChatEvent{Type: wire.EventUnpin, At: now, Mod: true})
		return r.audited(d, c.Actor, c.Action, "", r.Pub.Pinned.ID, reason, "", now), nil
	case wire.ActApprove, wire.ActReject:
		return r.review(c, reason, now)
	case wire.ActGrant, wire.ActRevoke:
		return r.role(c, reason, now)
	case wire.ActResolve:
		return r.resolve(c, reason, now)
	}
	return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "unknown moderation action %q", c.Action)
}

func (r *Room) public(ev wire.ChatEvent) Decision {
	return Decision{Stream: Public, Events: []wire.ChatEvent{ev}, Reply: okReply}
}

func (r *Room) private(ev wire.ChatEvent) Decision {
	return Decision{Stream: Private, Events: []wire.ChatEvent{ev}, Reply: okReply}
}

func (r *Room) audited(d Decision, a Actor, action, user, id, reason, detail string, now int64) Decision {
	e := audit(r.id, a, action, now)
	e.User, e.ID, e.Reason, e.Detail = user, id, reason, detail
	d.Effects = append(d.Effects, Effect{Audit: e})
	return d
}

// sanction decides timeouts, bans and shadow-bans and their undoing.
func (r *Room) sanction(c Moderate, reason string, now int64) (Decision, error) {
	u := c.Subject
	if u == "" {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "%s needs a user", c.Action)
	}
	if u == c.Actor.User && !c.Actor.Server {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "you cannot %s yourself", c.Action)
	}
	subject := r.RolesOf(Actor{User: u, Roles: c.SubjectRoles})
	for _, g := range []string{wire.RoleOwner, wire.RoleModerator} {
		if wire.HasRole(subject, g) && !r.IsOwner(c.Actor) {
			return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "%s is a %s of this room; only an owner can %s them", u, g, c.Action)
		}
	}
	p := r.Pub
	var d Decision
	n := notice(r.id, "", now)
	n.Reason = reason
	detail := ""
	switch c.Action {
	case wire.ActTimeout:
		max := int(r.cfg.MaxTimeout.Seconds())
		if c.Seconds < 1 || c.Seconds > max {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "a timeout lasts 1 to %d seconds, not %d", max, c.Seconds)
		}
		until := now + int64(c.Seconds)*1000
		d = r.public(wire.ChatEvent{Type: wire.EventTimeout, At: now, User: u, Until: until, Mod: true})
		n.Kind, n.Until = wire.NoticeTimeout, until
		detail = fmt.Sprintf("%d s", c.Seconds)
	case wire.ActUntimeout:
		if until, on := p.Timeouts[u]; !on || until <= now {
			return Decision{Reply: okReply}, nil
		}
		d = r.public(wire.ChatEvent{Type: wire.EventUntimeout, At: now, User: u, Mod: true})
		n.Kind = wire.NoticeUntimeout
	case wire.ActBan:
		if _, on := p.Bans[u]; on {
			return Decision{Reply: okReply}, nil
		}
		d = r.public(wire.ChatEvent{Type: wire.EventBan, At: now, User: u, Mod: true})
		d.Effects = append(d.Effects, Effect{EndAccess: u}, Effect{Recheck: u})
		n.Kind = wire.NoticeBan
	case wire.ActUnban:
		if _, on := p.Bans[u]; !on {
			return Decision{Reply: okReply}, nil
		}
		d = r.public(wire.ChatEvent{Type: wire.EventUnban, At: now, User: u, Mod: true})
		n.Kind = wire.NoticeUnban
	case wire.ActShadowBan, wire.ActUnshadowBan:
		on := c.Action == wire.ActShadowBan
		if r.shadowBanned(u) == on {
			return Decision{Reply: okReply}, nil
		}
		d = r.private(wire.ChatEvent{Type: wire.EventShadowBan, At: now, User: u, On: on, By: c.Actor.User, Reason: reason})
		n = nil // the point of a shadow-ban is that its user is not told
	}
	if n != nil {
		d.Effects = append(d.Effects, Effect{To: u, Notice: n})
	}
	return r.audited(d, c.Actor, c.Action, u, "", reason, detail, now), nil
}

// review approves (publishes) or rejects a held message.
func (r *Room) review(c Moderate, reason string, now int64) (Decision, error) {
	h := r.Priv.held(c.ID)
	if h == nil {
		return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no held message %q: it was rejected already, or never held", c.ID)
	}
	if _, done := r.Pub.Released[c.ID]; done {
		return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "held message %q was approved already", c.ID)
	}
	author := h.Event.User
	n := notice(r.id, "", now)
	n.ID = c.ID
	var d Decision
	if c.Action == wire.ActApprove {
		if _, banned := r.Pub.Bans[author]; banned {
			return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "%s is banned from this room; reject the message instead", author)
		}
		ev := h.Event
		ev.Type, ev.At, ev.Held = wire.EventMessage, now, c.ID
		if ev.ReplyTo != "" && r.Pub.msg(ev.ReplyTo) == nil {
			ev.ReplyTo = ""
		}
		d = r.public(ev)
		n.Kind = wire.NoticeApproved
	} else {
		d = r.private(wire.ChatEvent{Type: wire.EventRejected, At: now, ID: c.ID, By: c.Actor.User, Reason: reason})
		n.Kind, n.Reason = wire.NoticeRejected, reason
	}
	d.Effects = append(d.Effects, Effect{To: author, Notice: n})
	return r.audited(d, c.Actor, c.Action, author, c.ID, reason, quote(h.Event.Text), now), nil
}

// role grants or revokes owner or moderator in the room; owners only.
func (r *Room) role(c Moderate, reason string, now int64) (Decision, error) {
	if !r.IsOwner(c.Actor) {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "only owners of room %q can %s roles", r.id, c.Action)
	}
	if c.Role != wire.RoleOwner && c.Role != wire.RoleModerator {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "role %q cannot be granted in a room: use owner or moderator", c.Role)
	}
	if c.Subject == "" || strings.HasPrefix(c.Subject, "guest:") {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "roles go to signed-in users; give a user id")
	}
	on := c.Action == wire.ActGrant
	has := r.Pub.Roles[c.Subject] == c.Role
	if has == on {
		return Decision{Reply: okReply}, nil
	}
	d := r.public(wire.ChatEvent{Type: wire.EventRole, At: now, User: c.Subject, Role: c.Role, On: on, Mod: true})
	// A revoke takes rights away, and so may a grant that replaces the
	// other role.
	d.Effects = append(d.Effects, Effect{Recheck: c.Subject})
	return r.audited(d, c.Actor, c.Action, c.Subject, "", reason, c.Role, now), nil
}

// resolve closes a report group and tells every reporter the outcome.
func (r *Room) resolve(c Moderate, note string, now int64) (Decision, error) {
	g := r.Priv.Reports[c.Target]
	if g == nil {
		return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no open reports about %q", c.Target)
	}
	if c.Outcome != wire.OutcomeActioned && c.Outcome != wire.OutcomeDismissed {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "outcome %q is not one of actioned, dismissed", c.Outcome)
	}
	d := r.private(wire.ChatEvent{Type: wire.EventResolved, At: now, Target: c.Target, Outcome: c.Outcome, By: c.Actor.User, Reason: note})
	for _, rep := range g.Reports {
		n := notice(r.id, wire.NoticeOutcome, now)
		n.Target, n.Outcome, n.Reason = c.Target, c.Outcome, note
		d.Effects = append(d.Effects, Effect{To: rep.Reporter, Notice: n})
	}
	return r.audited(d, c.Actor, c.Action, g.User, g.Message, note, fmt.Sprintf("%s: %d reports, %s", c.Target, len(g.Reports), c.Outcome), now), nil
}
