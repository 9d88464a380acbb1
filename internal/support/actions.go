package support

import (
	"fmt"
	"strings"

	"github.com/liveroom-dev/liveroom/wire"
)

// Audit actions of support, in the room's support audit log.
const (
	AuditOpen    = "support.open"
	AuditClaim   = "support.claim"
	AuditRelease = "support.release"
	AuditResolve = "support.resolve"
)

func (c *Conversation) open(o Open, ms int64) (Decision, error) {
	if c.Opened() {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "support conversation %q is already open", c.S.ID)
	}
	if o.Server || o.User == "" || o.Guest {
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "sign in to open a support conversation")
	}
	if err := wire.ValidateRoom(o.Room); err != nil {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "support.open: %s", err.Error())
	}
	if o.CID != "" && !ValidCID(o.CID) {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "cid must be 1–64 printable ASCII characters")
	}
	text, n := CleanText(o.Text)
	if n > c.cfg.MaxChars {
		return Decision{}, tooLong(n, c.cfg.MaxChars)
	}
	cid := o.CID
	if text == "" {
		cid = "" // no first message to identify
	}
	ev := wire.SupportEvent{Type: wire.SupportOpened, At: ms, User: o.User, Room: o.Room, Text: text, CID: cid, Context: c.cleanContext(o.Context)}
	d := Decision{Events: []wire.SupportEvent{ev}}
	// The audit entry names the room the conversation opens from; the
	// state has none yet.
	d.Effects = append(d.Effects, Effect{Audit: &wire.AuditEntry{At: ms, Room: o.Room, Actor: o.User, Action: AuditOpen, User: o.User, ID: c.S.ID}})
	return d, nil
}

// ClipRecentText cleans and clips a copied room message's text as the
// context attached at open does.
func (cfg *Config) ClipRecentText(text string) string {
	t, _ := CleanText(text)
	return clip(t, cfg.MaxRecentChars)
}

// cleanContext clips what is attached to the limits.
func (c *Conversation) cleanContext(in *wire.SupportContext) *wire.SupportContext {
	if in == nil {
		return nil
	}
	out := &wire.SupportContext{}
	recent := in.Recent
	if over := len(recent) - c.cfg.MaxRecent; over > 0 {
		recent = recent[over:]
	}
	for _, m := range recent {
		text, _ := CleanText(m.Text)
		out.Recent = append(out.Recent, wire.SupportContextMessage{ID: clipBytes(m.ID, 64), User: clipBytes(m.User, 128), Text: clip(text, c.cfg.MaxRecentChars), At: m.At, Offset: m.Offset})
	}
	if cl := in.Client; cl != nil {
		out.Client = &wire.SupportClientContext{
			Page: clipBytes(cl.Page, 200), UserAgent: clipBytes(cl.UserAgent, 300),
			Connection: clipBytes(cl.Connection, 40), RTTms: max(0, min(cl.RTTms, 600_000)),
		}
	}
	if len(out.Recent) == 0 && out.Client == nil {
		return nil
	}
	return out
}

func (c *Conversation) claim(a Actor, ms int64) (Decision, error) {
	s := c.S
	switch {
	case !a.Agent || a.User == "" || a.Guest:
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "only support agents can claim conversations")
	case s.Status == wire.StatusResolved:
		return Decision{}, wire.Errorf(wire.CodeSupportResolved, false, "conversation %q is already resolved (%s)", s.ID, s.Outcome)
	case s.Status == wire.StatusClaimed && s.Agent == a.User:
		return Decision{}, nil // claimed already by this agent: nothing changes
	case s.Status == wire.StatusClaimed:
		return Decision{}, wire.Errorf(wire.CodeSupportClaimed, false, "conversation %q was claimed by %s first", s.ID, s.Agent)
	case a.User == s.User:
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "you cannot answer your own support conversation; another agent must claim it")
	case s.Events >= c.cfg.MaxEvents:
		return Decision{}, full(s.ID)
	}
	return Decision{
		Events:  []wire.SupportEvent{{Type: wire.SupportClaimed, At: ms, Agent: a.User}},
		Effects: []Effect{c.audit(AuditClaim, a, ms, "", "")},
	}, nil
}

func (c *Conversation) release(a Actor, ms int64) (Decision, error) {
	s := c.S
	switch {
	case s.Status == wire.StatusResolved:
		return Decision{}, wire.Errorf(wire.CodeSupportResolved, false, "conversation %q is already resolved (%s)", s.ID, s.Outcome)
	case s.Status != wire.StatusClaimed:
		return Decision{}, wire.Errorf(wire.CodeSupportNotClaimed, false, "conversation %q is not claimed; nothing to hand back", s.ID)
	case !a.Server && a.User != s.Agent:
		return Decision{}, wire.Errorf(wire.CodePermissionDenied, false, "only %s, who claimed conversation %q, can hand it back", s.Agent, s.ID)
	case s.Events >= c.cfg.MaxEvents:
		return Decision{}, full(s.ID)
	}
	return Decision{
		Events:  []wire.SupportEvent{{Type: wire.SupportReleased, At: ms, Agent: s.Agent}},
		Effects: []Effect{{EndAccess: s.Agent}, c.audit(AuditRelease, a, ms, "", s.Agent)},
	}, nil
}

func (c *Conversation) send(x Send, ms int64) (Decision, error) {
	s := c.S
	if x.CID != "" {
		if !ValidCID(x.CID) {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "cid must be 1–64 printable ASCII characters")
		}
		for _, r := range s.Sent {
			if r.CID == x.CID && r.User == x.User {
				return Decision{Reply: wire.SupportSendResult{ID: r.ID, Offset: r.Offset, At: r.At, Text: r.Text, Duplicate: true}}, nil
			}
		}
	}
	from, werr := c.author(x.Actor, "writing in it")
	if werr != nil {
		return Decision{}, werr
	}
	if s.Events >= c.cfg.MaxEvents {
		return Decision{}, full(s.ID)
	}
	text, n := CleanText(x.Text)
	switch {
	case n == 0:
		return Decision{}, wire.Errorf(wire.CodeSupportBadText, false, "the message is empty: write something")
	case n > c.cfg.MaxChars:
		return Decision{}, tooLong(n, c.cfg.MaxChars)
	}
	cut := ms - c.cfg.RateWindow.Milliseconds()
	var recent []int64
	for _, t := range s.Sends[x.User] {
		if t > cut {
			recent = append(recent, t)
		}
	}
	if len(recent) >= c.cfg.RateMessages {
		wait := recent[len(recent)-c.cfg.RateMessages] - cut
		return Decision{}, wire.Errorf(wire.CodeSupportRateLimited, true, "too many messages: wait %s", seconds(wait))
	}
	ev := wire.SupportEvent{Type: wire.SupportMessage, At: ms, ID: x.NewID, User: x.User, From: from, Text: text, CID: x.CID}
	return Decision{Events: []wire.SupportEvent{ev}, Reply: wire.SupportSendResult{ID: x.NewID, At: ms, Text: text}}, nil
}

func (c *Conversation) resolve(x Resolve, ms int64) (Decision, error) {
	s := c.S
	if s.Status == wire.StatusResolved {
		return Decision{}, wire.Errorf(wire.CodeSupportResolved, false, "conversation %q is already resolved (%s)", s.ID, s.Outcome)
	}
	outcome := x.Outcome
	switch from := c.from(x.Actor); {
	case from == wire.FromUser:
		if outcome == "" {
			outcome = wire.OutcomeWithdrawn
		}
		if outcome != wire.OutcomeWithdrawn {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "you can end your own conversation only as %q; agents choose the other outcomes", wire.OutcomeWithdrawn)
		}
	case from == wire.FromAgent || x.Server:
		if !oneOf(outcome, wire.AgentOutcomes) {
			return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "outcome %q is not one of %s", outcome, strings.Join(wire.AgentOutcomes, ", "))
		}
	default:
		if _, werr := c.author(x.Actor, "resolving it"); werr != nil {
			return Decision{}, werr
		}
		return Decision{}, private(s.ID)
	}
	note, n := CleanText(x.Note)
	if n > c.cfg.MaxNote {
		return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "the note is %d characters; the limit is %d", n, c.cfg.MaxNote)
	}
	ev := wire.SupportEvent{Type: wire.SupportResolved, At: ms, By: x.User, Outcome: outcome, Note: note}
	return Decision{Events: []wire.SupportEvent{ev}, Effects: []Effect{c.audit(AuditResolve, x.Actor, ms, outcome, note)}}, nil
}

func tooLong(n, limit int) *wire.Error {
	return wire.Errorf(wire.CodeSupportBadText, false, "message too long: %d of %d characters — shorten it", n, limit)
}

func full(id string) *wire.Error {
	return wire.Errorf(wire.CodeSupportFull, false, "conversation %q reached its length limit: resolve it and open a new one", id)
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// seconds formats a wait in ms as whole seconds, rounded up: "wait 4 s".
func seconds(ms int64) string {
	return fmt.Sprintf("%d s", max(1, (ms+999)/1000))
}
