package support

import (
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Actor is who sends a command.
type Actor struct {
	// User is the user id; "" with Guest for anonymous connections.
	User  string
	Guest bool
	// Agent: the user's token gives the agent role in support.
	Agent bool
	// Server is the server API acting for the backend.
	Server bool
}

// Command is one of the command types below.
type Command interface{ command() }

// Open opens the conversation (a new id) from a room. Context is what the
// server attached and the page reported; it is clipped to the limits.
type Open struct {
	Actor
	Room, Text string
	// CID identifies the first message, so that a retried open finding
	// the conversation open does not send it again ("" for none).
	CID     string
	Context *wire.SupportContext
}

// Claim makes an agent the conversation's one answering agent.
type Claim struct{ Actor }

// Release hands a claimed conversation back to the queue.
type Release struct{ Actor }

// Send posts a message. NewID is the id it gets (the module makes it
// random; scripts number them).
type Send struct {
	Actor
	NewID, Text, CID string
}

// Typing asks to show a typing indicator.
type Typing struct{ Actor }

// Resolve ends the conversation.
type Resolve struct {
	Actor
	Outcome, Note string
}

func (Open) command()    {}
func (Claim) command()   {}
func (Release) command() {}
func (Send) command()    {}
func (Typing) command()  {}
func (Resolve) command() {}

// Decision is what a command decided: events to append (none when nothing
// changes), the caller's answer (nil: the conversation's summary once the
// events are stored), and what to do after they are stored.
type Decision struct {
	Events  []wire.SupportEvent
	Reply   any
	Effects []Effect
}

// Effect is something the module does after the events are stored.
type Effect struct {
	// Typing shows a typing indicator of this author ("user" or "agent").
	Typing string
	// EndAccess ends this user's subscriptions to the conversation's
	// channels on every node (a released agent).
	EndAccess string
	// Audit is appended to the support audit log of the conversation's
	// room.
	Audit *wire.AuditEntry
}

// Decide decides a command at now. A refusal is a *wire.Error saying why.
// Decide never changes the state; only Apply does.
func (c *Conversation) Decide(cmd Command, now time.Time) (Decision, error) {
	ms := now.UnixMilli()
	if o, ok := cmd.(Open); ok {
		return c.open(o, ms)
	}
	if !c.Opened() {
		return Decision{}, wire.Errorf(wire.CodeSupportNoConversation, false, "no support conversation %q", c.S.ID)
	}
	switch x := cmd.(type) {
	case Claim:
		return c.claim(x.Actor, ms)
	case Release:
		return c.release(x.Actor, ms)
	case Send:
		return c.send(x, ms)
	case Typing:
		if _, err := c.author(x.Actor, "writing in it"); err != nil {
			return Decision{}, err
		}
		return Decision{Reply: wire.SupportOK{OK: true}, Effects: []Effect{{Typing: c.from(x.Actor)}}}, nil
	case Resolve:
		return c.resolve(x, ms)
	}
	return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "unknown support command %T", cmd)
}

// CanRead decides whether actor may follow the conversation's channels
// and read its transcript: its user, the agent who claimed it (also after
// it was resolved) while their token gives them the agent role, and the
// server API. Everyone else, also for a
// conversation that does not exist, gets the same refusal, so ids cannot
// be probed.
func (c *Conversation) CanRead(a Actor) *wire.Error {
	s := c.S
	switch {
	case a.Server:
		return nil
	case s.Status != "" && a.User != "" && !a.Guest && a.User == s.User:
		return nil
	case s.Status != "" && a.User != "" && !a.Guest && a.User == s.Agent && a.Agent:
		// The agent who claimed it, while they are an agent: a token
		// without the role no longer reads it.
		return nil
	}
	return private(s.ID)
}

func private(id string) *wire.Error {
	return wire.Errorf(wire.CodePermissionDenied, false, "support conversation %q is private to its user and the agent who claimed it", id)
}

func (c *Conversation) audit(action string, a Actor, ms int64, reason, detail string) Effect {
	return Effect{Audit: &wire.AuditEntry{At: ms, Room: c.S.Room, Actor: a.User, Action: action, User: c.S.User, ID: c.S.ID, Reason: reason, Detail: detail}}
}

// from says who actor is in the conversation: "user", "agent" or "".
func (c *Conversation) from(a Actor) string {
	switch {
	case a.User == "" || a.Guest:
		return ""
	case a.User == c.S.User:
		return wire.FromUser
	case a.User == c.S.Agent && c.S.Status == wire.StatusClaimed && a.Agent:
		// Checked at every call: the role of the claim may be gone.
		return wire.FromAgent
	}
	return ""
}

// author checks that actor may act in the conversation now; what names
// the action for a refusal ("writing in it").
func (c *Conversation) author(a Actor, what string) (string, *wire.Error) {
	s := c.S
	if s.Status == wire.StatusResolved {
		return "", wire.Errorf(wire.CodeSupportResolved, false, "this conversation was resolved (%s); open a new one for anything else", s.Outcome)
	}
	if f := c.from(a); f != "" {
		return f, nil
	}
	switch {
	case a.Server:
		return "", wire.Errorf(wire.CodePermissionDenied, false, "the server API does not write in conversations; users and agents do")
	case a.Agent && s.Status == wire.StatusQueued:
		return "", wire.Errorf(wire.CodeSupportNotClaimed, false, "claim conversation %q before %s", s.ID, what)
	case a.Agent:
		return "", wire.Errorf(wire.CodeSupportClaimed, false, "conversation %q is claimed by %s", s.ID, s.Agent)
	}
	return "", private(s.ID)
}
