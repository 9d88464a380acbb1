package chat

import (
	"fmt"
	"strings"

	"github.com/liveroom-dev/liveroom/wire"
)

// report files a report about a message or a user. Reports are grouped by
// target for moderators; one reporter counts once per target. A reporter
// files at most ReportLimit per ReportWindow, and only about users the
// room has seen. When the queue is full, a new group pushes out the one
// with the fewest reporters (the oldest of them), whose reporters are told
// (outcome "expired").
func (r *Room) report(c Report, now int64) (Decision, error) {
	if c.Guest || c.User == "" {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "sign in to report")
	}
	if werr := r.CanRead(c.Actor); werr != nil {
		return Decision{}, werr
	}
	reason, werr := r.cleanReason(c.Reason, true)
	if werr != nil {
		return Decision{}, werr
	}
	rep := wire.ChatReport{ID: c.NewID, Reporter: c.User, Reason: reason}
	switch {
	case c.ID != "" && c.Reported != "":
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "report a message (id) or a user, not both")
	case c.ID != "":
		m := r.Pub.msg(c.ID)
		if m == nil || m.Deleted {
			return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no message %q to report: it is deleted or too old", c.ID)
		}
		if m.User == c.User {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "you cannot report your own message")
		}
		rep.Target, rep.User, rep.Message, rep.Text = "message:"+m.ID, m.User, m.ID, m.Text
	case c.Reported != "":
		if err := wire.ValidateUserID(c.Reported); err != nil {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "report: %s", err.Error())
		}
		if c.Reported == c.User {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "you cannot report yourself")
		}
		if !r.seen(c.Reported) {
			return Decision{}, wire.Errorf(wire.CodeChatNoMessage, false, "no user %q has written in room %q: check the user id, or report one of their messages", c.Reported, r.id)
		}
		rep.Target, rep.User = "user:"+c.Reported, c.Reported
	default:
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "say what you report: a message id or a user")
	}
	g := r.Priv.Reports[rep.Target]
	if g != nil {
		for _, have := range g.Reports {
			if have.Reporter == c.User {
				return Decision{Reply: wire.ChatReportResult{Target: rep.Target, Already: true}}, nil
			}
		}
	}
	w := r.cfg.ReportWindow.Milliseconds()
	if reports := r.merged(c.User).Reports; countSince(reports, now-w) >= r.cfg.ReportLimit {
		wait := nthNewest(reports, now-w, r.cfg.ReportLimit) + w - now
		return Decision{}, tooSoon(wire.CodeChatRateLimited, wait, "too many reports: %d in %s is the limit; wait %s",
			r.cfg.ReportLimit, Wait(w), Wait(wait))
	}
	n := notice(r.id, wire.NoticeReported, now)
	n.Target, n.ID = rep.Target, rep.ID
	d := Decision{
		Stream:  Private,
		Events:  []wire.ChatEvent{{Type: wire.EventReport, At: now, Report: &rep}},
		Reply:   wire.ChatReportResult{Target: rep.Target},
		Effects: []Effect{{To: c.User, Notice: n}},
	}
	if g == nil && len(r.Priv.Reports) >= r.cfg.MaxReportGroups {
		// Apply drops the same group (PrivateState.evictee); tell its
		// reporters, since no moderator will.
		if old := r.Priv.Reports[r.Priv.evictee()]; old != nil {
			for _, have := range old.Reports {
				o := notice(r.id, wire.NoticeOutcome, now)
				o.Target, o.Outcome = old.Target, wire.OutcomeExpired
				o.Reason = "the room's moderation queue was full, so your report was dropped before a moderator saw it; report again if it still matters"
				d.Effects = append(d.Effects, Effect{To: have.Reporter, Notice: o})
			}
		}
	}
	return d, nil
}

// setSettings changes the room's public settings (moderators): the
// fields the patch names, on top of the settings in force when it is
// decided, so a concurrent change of another field is kept.
func (r *Room) setSettings(c SetSettings, now int64) (Decision, error) {
	if !r.IsModerator(c.Actor) {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "only moderators of room %q can change its settings", r.id)
	}
	s := c.Patch.Apply(r.Pub.Settings)
	switch {
	case s.SlowMode < 0 || s.SlowMode > MaxSlowMode:
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "slow mode is 0 (off) to %d seconds, not %d", MaxSlowMode, s.SlowMode)
	case s.AutoSlowSeconds < 0 || s.AutoSlowSeconds > MaxAutoSlowMode || s.AutoSlow && s.AutoSlowSeconds == 0:
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "automatic slow mode is 1 to %d seconds, not %d", MaxAutoSlowMode, s.AutoSlowSeconds)
	case s.Links != wire.LinksAllow && s.Links != wire.LinksMembers && s.Links != wire.LinksMods:
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "links is %q; use allow, members or mods", s.Links)
	}
	if s == r.Pub.Settings {
		return Decision{Reply: okReply}, nil
	}
	d := r.public(wire.ChatEvent{Type: wire.EventSettings, At: now, Settings: &s, Mod: true})
	return r.audited(d, c.Actor, "settings", "", "", "", describeChange(r.Pub.Settings, s), now), nil
}

// setFilter replaces the room's term filter (moderators).
func (r *Room) setFilter(c SetFilter, now int64) (Decision, error) {
	if !r.IsModerator(c.Actor) {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "only moderators of room %q can change its term filter", r.id)
	}
	terms, err := CleanTerms(c.Terms)
	if err != nil {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "term filter: %s", err.Error())
	}
	if sameTerms(terms, r.Priv.Terms) {
		return Decision{Reply: okReply}, nil
	}
	d := r.private(wire.ChatEvent{Type: wire.EventFilter, At: now, Terms: terms, By: c.Actor.User})
	return r.audited(d, c.Actor, "filter", "", "", "", describeTerms(r.Priv.Terms, terms), now), nil
}

// maxTermChanges is how many term changes an audit entry names; the rest
// are counted.
const maxTermChanges = 20

// describeTerms says how a term filter changed, for the audit log:
// `added "scam" (mask); removed "heck"; "spam" mask → block; 3 terms now`.
func describeTerms(from, to []wire.ChatTerm) string {
	before := make(map[string]string, len(from))
	for _, t := range from {
		before[t.Term] = t.Action
	}
	var parts []string
	seen := make(map[string]bool, len(to))
	for _, t := range to {
		seen[t.Term] = true
		switch was, ok := before[t.Term]; {
		case !ok:
			parts = append(parts, fmt.Sprintf("added %q (%s)", t.Term, t.Action))
		case was != t.Action:
			parts = append(parts, fmt.Sprintf("%q %s → %s", t.Term, was, t.Action))
		}
	}
	for _, t := range from {
		if !seen[t.Term] {
			parts = append(parts, fmt.Sprintf("removed %q", t.Term))
		}
	}
	if n := len(parts) - maxTermChanges; n > 0 {
		parts = append(parts[:maxTermChanges], fmt.Sprintf("%d more changes", n))
	}
	return strings.Join(append(parts, fmt.Sprintf("%d terms now", len(to))), "; ")
}

func sameTerms(a, b []wire.ChatTerm) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// describeChange says what a settings change changed, for the audit log:
// only the settings that differ, each as "before → after".
func describeChange(from, to wire.ChatSettings) string {
	slow := func(s wire.ChatSettings) string {
		if s.SlowMode > 0 {
			return fmt.Sprintf("%d s", s.SlowMode)
		}
		return "off"
	}
	auto := func(s wire.ChatSettings) string {
		if s.AutoSlow {
			return fmt.Sprintf("%d s", s.AutoSlowSeconds)
		}
		return fmt.Sprintf("off (%d s when on)", s.AutoSlowSeconds)
	}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	var parts []string
	add := func(what, before, after string) {
		if before != after {
			parts = append(parts, what+" "+before+" → "+after)
		}
	}
	add("slow mode", slow(from), slow(to))
	add("automatic slow mode", auto(from), auto(to))
	add("members only", onOff(from.MembersOnly), onOff(to.MembersOnly))
	add("links", from.Links, to.Links)
	return strings.Join(parts, "; ")
}
