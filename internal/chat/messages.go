package chat

import (
	"github.com/liveroom-dev/liveroom/wire"
)

// edit replaces the text of one's own message within the edit window.
// Edits follow the content rules of sends and count in the rate window.
func (r *Room) edit(c Edit, now int64) (Decision, error) {
	if werr := r.mayWrite(c.Actor, now); werr != nil {
		return Decision{}, werr
	}
	m := r.Pub.msg(c.ID)
	if m == nil || m.Deleted {
		return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no message %q to edit: it is deleted or too old", c.ID)
	}
	if m.User != c.User {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "you can edit only your own messages")
	}
	if end := m.At + r.cfg.EditWindow.Milliseconds(); now > end {
		return Decision{}, wire.Errorf(wire.CodeChatTooLate, false, "too late to edit: messages can be edited for %s after sending", Wait(r.cfg.EditWindow.Milliseconds()))
	}
	text, werr := r.messageText(c.Text)
	if werr != nil {
		return Decision{}, werr
	}
	if text == m.Text {
		return Decision{Reply: wire.ChatOK{OK: true}}, nil
	}
	mod := r.IsModerator(c.Actor)
	if werr := r.checkMentions(text); werr != nil {
		return Decision{}, werr
	}
	if werr := r.checkLinks(c.Actor, text, mod); werr != nil {
		return Decision{}, werr
	}
	f := r.filter(text)
	switch {
	case f.action == wire.TermBlock:
		return Decision{}, wire.Errorf(wire.CodeChatBlockedTerm, false, "edit refused: it contains a blocked term (%q)", f.term)
	case f.action == wire.TermHold && !mod:
		return Decision{}, wire.Errorf(wire.CodeChatBlockedTerm, false, "edit refused: %q needs a moderator's review; send it as a new message instead", f.term)
	}
	a := r.merged(c.User)
	window := r.cfg.RateWindow.Milliseconds()
	if countSince(a.Sends, now-window) >= r.cfg.RateMessages {
		wait := nthNewest(a.Sends, now-window, r.cfg.RateMessages) + window - now
		return Decision{}, tooSoon(wire.CodeChatRateLimited, wait, "too many messages and edits: %d in %s is the limit; wait %s",
			r.cfg.RateMessages, Wait(window), Wait(wait))
	}
	ev := wire.ChatEvent{Type: wire.EventEdit, At: now, ID: m.ID, User: c.User, Text: f.text, Masked: f.text != text}
	return Decision{Stream: Public, Events: []wire.ChatEvent{ev}, Reply: wire.ChatOK{OK: true}}, nil
}

// delete turns a message into a tombstone: the author's own, or any for a
// moderator (audited, with the reason). A moderator may also delete old,
// a message that left the room's memory but not its history.
func (r *Room) delete(a Actor, id, reason string, old *OldMessage, now int64) (Decision, error) {
	m := r.Pub.msg(id)
	if m == nil && old != nil && old.ID == id && r.IsModerator(a) {
		// Deleted already if the history said so when it was read, or if a
		// delete of it was applied since (a concurrent one, decided first).
		m = &Msg{ID: old.ID, User: old.User, Text: old.Text, Deleted: old.Deleted || r.Pub.deletedOld(id)}
	}
	if m == nil {
		return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no message %q in this room (or it is too old to delete)", id)
	}
	own := m.User == a.User && !a.Server
	mod := r.IsModerator(a)
	if !own && !mod {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "you can delete only your own messages")
	}
	if own && !mod {
		if werr := r.mayWrite(a, now); werr != nil {
			return Decision{}, werr
		}
	}
	if m.Deleted {
		return Decision{Reply: wire.ChatOK{OK: true}}, nil
	}
	reason, werr := r.cleanReason(reason, false)
	if werr != nil {
		return Decision{}, werr
	}
	ev := wire.ChatEvent{Type: wire.EventDelete, At: now, ID: id, User: m.User, Mod: !own}
	d := Decision{Stream: Public, Events: []wire.ChatEvent{ev}, Reply: wire.ChatOK{OK: true}}
	if !own {
		e := audit(r.id, a, wire.ActDelete, now)
		e.User, e.ID, e.Reason, e.Detail = m.User, id, reason, quote(m.Text)
		d.Effects = append(d.Effects, Effect{Audit: e})
	}
	return d, nil
}

// react adds or removes one reaction (one per user per emoji). Doing what
// is already done succeeds without an event.
func (r *Room) react(c React, now int64) (Decision, error) {
	if werr := r.mayWrite(c.Actor, now); werr != nil {
		return Decision{}, werr
	}
	if !ValidEmoji(c.Emoji) {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "%q is not an emoji", c.Emoji)
	}
	m := r.Pub.msg(c.ID)
	if m == nil || m.Deleted {
		return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no message %q to react to: it is deleted or too old", c.ID)
	}
	users := m.Reactions[c.Emoji]
	has := false
	for _, u := range users {
		if u == c.User {
			has = true
			break
		}
	}
	if has == c.On {
		return Decision{Reply: wire.ChatReactResult{Count: len(users)}}, nil
	}
	count := len(users)
	typ := wire.EventUnreact
	if c.On {
		const maxEmojiPerMessage = 20
		if len(m.Reactions) >= maxEmojiPerMessage && users == nil {
			return Decision{}, wire.Errorf(wire.CodeLimitExceeded, false, "this message has %d different reactions already; add to one of them", maxEmojiPerMessage)
		}
		w := r.cfg.ReactWindow.Milliseconds()
		a := r.merged(c.User)
		if countSince(a.Reacts, now-w) >= r.cfg.ReactLimit {
			wait := nthNewest(a.Reacts, now-w, r.cfg.ReactLimit) + w - now
			return Decision{}, tooSoon(wire.CodeChatRateLimited, wait, "too many reactions: %d in %s is the limit; wait %s",
				r.cfg.ReactLimit, Wait(w), Wait(wait))
		}
		typ = wire.EventReact
		count++
	} else {
		count--
	}
	ev := wire.ChatEvent{Type: typ, At: now, ID: c.ID, Emoji: c.Emoji, User: c.User, Count: count}
	return Decision{Stream: Public, Events: []wire.ChatEvent{ev}, Reply: wire.ChatReactResult{Count: count}}, nil
}

// quote keeps a message's text in an audit entry, shortened.
func quote(s string) string {
	const max = 120
	rs := []rune(s)
	if len(rs) > max {
		return string(rs[:max]) + "…"
	}
	return s
}
