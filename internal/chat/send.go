package chat

import (
	"fmt"
	"slices"

	"github.com/liveroom-dev/liveroom/wire"
)

// MaxCIDBytes bounds a client message id.
const MaxCIDBytes = 64

// send decides a message. The order of checks: a retry is answered first
// (a retry must never be refused by a limit its first attempt passed),
// then the author's standing, the text, the content rules, the rate
// limits, and last where the message goes.
func (r *Room) send(c Send, now int64) (Decision, error) {
	if werr := validCID(c.CID); werr != nil {
		return Decision{}, werr
	}
	if c.CID != "" {
		if rec, ok := r.sentBefore(c.User, c.CID); ok {
			return Decision{Reply: wire.ChatSendResult{ID: rec.ID, Status: rec.Status, Offset: rec.Offset, At: rec.At,
				Text: rec.Text, Duplicate: true}}, nil
		}
	}
	if werr := r.mayWrite(c.Actor, now); werr != nil {
		return Decision{}, werr
	}
	text, werr := r.messageText(c.Text)
	if werr != nil {
		return Decision{}, werr
	}
	if c.ReplyTo != "" {
		if m := r.Pub.msg(c.ReplyTo); m == nil || m.Deleted {
			return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "cannot reply: message %q is deleted or too old", c.ReplyTo)
		}
	}
	mod := r.IsModerator(c.Actor)
	mentions := Mentions(text)
	if werr := r.checkMentions(text); werr != nil {
		return Decision{}, werr
	}
	if werr := r.checkLinks(c.Actor, text, mod); werr != nil {
		return Decision{}, werr
	}
	f := r.filter(text)
	if f.action == wire.TermBlock {
		return Decision{}, wire.Errorf(wire.CodeChatBlockedTerm, false, "message refused: it contains a blocked term (%q); rephrase it", f.term)
	}
	if werr := r.checkRates(c.User, text, len(mentions), mod, now); werr != nil {
		return Decision{}, werr
	}
	ev := wire.ChatEvent{Type: wire.EventMessage, At: now, ID: c.NewID, User: c.User, Text: f.text, ReplyTo: c.ReplyTo,
		Mentions: mentions, CID: c.CID, Masked: f.text != text}
	res := wire.ChatSendResult{ID: c.NewID, Status: wire.StatusPublished, At: now, Text: f.text, NextAt: r.nextAt(c.User, mod, now)}
	switch {
	case r.shadowBanned(c.User):
		ev.Type = wire.EventShadow
		own := notice(r.id, wire.NoticeOwn, now)
		msg := ev
		msg.Type = wire.EventMessage
		own.Message = &msg
		return Decision{Stream: Private, Events: []wire.ChatEvent{ev}, Reply: res, Effects: []Effect{{To: c.User, Notice: own}}}, nil
	case f.action == wire.TermHold && !mod:
		ev.Type = wire.EventHeld
		ev.Reason = "term \"" + f.term + "\""
		res.Status = wire.StatusHeld
		n := notice(r.id, wire.NoticeHeld, now)
		msg := ev
		msg.Type, msg.Reason = wire.EventMessage, ""
		n.Message = &msg
		return Decision{Stream: Private, Events: []wire.ChatEvent{ev}, Reply: res, Effects: []Effect{{To: c.User, Notice: n}}}, nil
	}
	d := Decision{Stream: Public, Events: []wire.ChatEvent{ev}, Reply: res}
	if on := r.autoSlowOn(now, 1); on != nil {
		d.Events = append(d.Events, *on)
	}
	return d, nil
}

func validCID(cid string) *wire.Error {
	if len(cid) > MaxCIDBytes {
		return wire.Errorf(wire.CodeBadRequest, false, "cid is %d bytes; the limit is %d", len(cid), MaxCIDBytes)
	}
	for i := 0; i < len(cid); i++ {
		if cid[i] < 0x21 || cid[i] > 0x7e {
			return wire.Errorf(wire.CodeBadRequest, false, "cid has a character outside printable ASCII at byte %d", i)
		}
	}
	return nil
}

// sentBefore finds an earlier send of user with cid, in either stream.
func (r *Room) sentBefore(user, cid string) (SentRecord, bool) {
	for _, users := range []map[string]*Activity{r.Pub.Users, r.Priv.Users} {
		if a := users[user]; a != nil {
			for _, rec := range a.Sent {
				if rec.CID == cid {
					return rec, true
				}
			}
		}
	}
	return SentRecord{}, false
}

// messageText cleans a message and checks its length.
func (r *Room) messageText(s string) (string, *wire.Error) {
	text, n := CleanText(s)
	if n == 0 {
		return "", wire.Errorf(wire.CodeChatBadText, false, "message is empty: type something first")
	}
	if n > r.cfg.MaxChars {
		return "", wire.Errorf(wire.CodeChatBadText, false, "message too long: %d of %d characters; shorten it", n, r.cfg.MaxChars)
	}
	return text, nil
}

// checkMentions applies the per-message mention limit, to sends and edits.
func (r *Room) checkMentions(text string) *wire.Error {
	if n := len(Mentions(text)); n > r.cfg.MaxMentions {
		return wire.Errorf(wire.CodeChatMentions, false, "too many mentions: %d in one message; the limit is %d", n, r.cfg.MaxMentions)
	}
	return nil
}

func (r *Room) checkLinks(a Actor, text string, mod bool) *wire.Error {
	if mod {
		return nil
	}
	link := FindLink(text)
	if link == "" {
		return nil
	}
	// Name what read as a link: a file name like "readme.md" is one
	// (Moldova's domain), and the sender needs to know what to change.
	seen := fmt.Sprintf("%q reads as a link", link)
	switch r.Pub.Settings.Links {
	case wire.LinksAllow:
		return nil
	case wire.LinksMods:
		return wire.Errorf(wire.CodeChatLink, false, "links are off in this room (%s): only moderators may post them; if it is not a link, put a space after the full stop", seen)
	default: // members, and a policy this server does not know: never looser than members
		if a.Guest || a.User == "" {
			return wire.Errorf(wire.CodeChatLink, false, "links need a signed-in account in this room (%s)", seen)
		}
		if n := r.Pub.Known[a.User]; n < r.cfg.NewUserMessages {
			return wire.Errorf(wire.CodeChatLink, false, "links are allowed after your first %d messages in this room (%d so far; %s)", r.cfg.NewUserMessages, n, seen)
		}
	}
	return nil
}

func (r *Room) shadowBanned(user string) bool {
	_, ok := r.Priv.Shadow[user]
	return ok
}

// merged returns a user's activity over both streams: a user cannot slip
// past a limit with messages that only they or moderators see.
func (r *Room) merged(user string) Activity {
	var out Activity
	for _, users := range []map[string]*Activity{r.Pub.Users, r.Priv.Users} {
		a := users[user]
		if a == nil {
			continue
		}
		out.Sends = append(out.Sends, a.Sends...)
		out.Texts = append(out.Texts, a.Texts...)
		out.Mentions = append(out.Mentions, a.Mentions...)
		out.Reacts = append(out.Reacts, a.Reacts...)
		out.Reports = append(out.Reports, a.Reports...)
		if a.Last > out.Last {
			out.Last = a.Last
		}
	}
	return out
}

// checkRates applies slow mode, the per-user window, repeats and the
// mention flood limit, in that order (the most specific reason first).
func (r *Room) checkRates(user, text string, mentions int, mod bool, now int64) *wire.Error {
	a := r.merged(user)
	if !mod {
		if slow := r.SlowMode(); slow > 0 && a.Last > 0 {
			if next := a.Last + int64(slow)*1000; next > now {
				return tooSoon(wire.CodeChatSlowMode, next-now, "slow mode: wait %s", Wait(next-now))
			}
		}
	}
	window := r.cfg.RateWindow.Milliseconds()
	if countSince(a.Sends, now-window) >= r.cfg.RateMessages {
		wait := nthNewest(a.Sends, now-window, r.cfg.RateMessages) + window - now
		return tooSoon(wire.CodeChatRateLimited, wait, "too many messages: %d in %s is the limit; wait %s",
			r.cfg.RateMessages, Wait(window), Wait(wait))
	}
	if !mod {
		key := repeatKey(text)
		if key != "" {
			for _, t := range a.Texts {
				if t.Key == key && t.At > now-r.cfg.RepeatWindow.Milliseconds() {
					wait := t.At + r.cfg.RepeatWindow.Milliseconds() - now
					return tooSoon(wire.CodeChatDuplicate, wait, "you just sent the same message: change it or wait %s", Wait(wait))
				}
			}
		}
	}
	if mentions > 0 {
		mw := r.cfg.MentionWindow.Milliseconds()
		if in := countSince(a.Mentions, now-mw); in+mentions > r.cfg.MentionLimit {
			wait := nthNewest(a.Mentions, now-mw, r.cfg.MentionLimit+1-mentions) + mw - now
			return tooSoon(wire.CodeChatMentions, wait, "too many mentions: %d in %s is the limit; wait %s",
				r.cfg.MentionLimit, Wait(mw), Wait(wait))
		}
	}
	return nil
}

// countSince counts times after cut.
func countSince(ts []int64, cut int64) int {
	n := 0
	for _, t := range ts {
		if t > cut {
			n++
		}
	}
	return n
}

// nthNewest returns the k-th newest time after cut (k ≥ 1): the window
// allows a new entry once that one has left it.
func nthNewest(ts []int64, cut int64, k int) int64 {
	var in []int64
	for _, t := range ts {
		if t > cut {
			in = append(in, t)
		}
	}
	slices.Sort(in)
	if k < 1 {
		k = 1
	}
	if k > len(in) {
		return cut
	}
	return in[len(in)-k]
}

// nextAt is when user may send again after sending at now (slow mode),
// in Unix ms; 0 when at once.
func (r *Room) nextAt(user string, mod bool, now int64) int64 {
	if slow := r.SlowMode(); slow > 0 && !mod {
		return now + int64(slow)*1000
	}
	return 0
}
