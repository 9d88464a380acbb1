package chat

import (
	"fmt"
	"maps"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Actor is who sends a command.
type Actor struct {
	// User is the user id. Anonymous connections act as "guest:<client
	// id>" with Guest set.
	User  string
	Guest bool
	// Roles are the roles the user's token gives in this room (see
	// wire.Roles.For); roles granted in the room are added by the state.
	Roles []string
	// Server is the server API acting for the backend, with every right.
	Server bool
}

// Command is one of the command types below.
type Command interface{ command() }

// Send posts a message. NewID is the id the message gets (the module
// makes it random; scripts number them).
type Send struct {
	Actor
	NewID   string
	Text    string
	CID     string
	ReplyTo string
}

// Edit replaces the text of one's own message.
type Edit struct {
	Actor
	ID, Text string
}

// Delete removes a message (one's own, or any for moderators).
type Delete struct {
	Actor
	ID, Reason string
	// Old is the message when it has left the room's memory (the last
	// 300) but not its history; moderators may delete it then.
	Old *OldMessage
}

// OldMessage is a message still in a room's history but no longer in its
// memory, as the module found it in the stream, so a moderator can delete
// it (and history and recovery serve it redacted, decision 0026).
type OldMessage struct {
	ID, User, Text string
	Deleted        bool // a delete of it is in the history already
}

// React adds (On) or removes a reaction.
type React struct {
	Actor
	ID, Emoji string
	On        bool
}

// Report reports a message (ID) or a user (Reported).
type Report struct {
	Actor
	NewID, ID, Reported, Reason string
}

// Moderate is a moderation action (see the wire.Act… constants).
type Moderate struct {
	Actor
	Action  string
	ID      string // a message, or a held message
	Subject string // the user acted on
	Seconds int    // timeouts
	Reason  string
	Role    string      // grant, revoke
	Target  string      // resolve: "message:<id>" or "user:<id>"
	Outcome string      // resolve
	Old     *OldMessage // delete: as Delete.Old
	// SubjectRoles are the token roles the subject last showed the server
	// (the module keeps them with profiles), so a moderator cannot act on
	// an owner or another moderator whose role comes from their token.
	SubjectRoles []string
}

// SetSettings changes the room's public settings that Patch names; the
// others keep their current values.
type SetSettings struct {
	Actor
	Patch wire.ChatSettingsPatch
}

// SetFilter replaces a room's term filter.
type SetFilter struct {
	Actor
	Terms []wire.ChatTerm
}

// Tick lets time-driven rules act (automatic slow mode switching off).
type Tick struct{}

func (Send) command()        {}
func (Edit) command()        {}
func (Delete) command()      {}
func (React) command()       {}
func (Report) command()      {}
func (Moderate) command()    {}
func (SetSettings) command() {}
func (SetFilter) command()   {}
func (Tick) command()        {}

// Decision is what a command decided: events to append to one stream (in
// order; none when nothing changes), the caller's answer, and what to do
// once the events are stored.
type Decision struct {
	Stream  Stream
	Events  []wire.ChatEvent
	Reply   any
	Effects []Effect
}

// Effect is something the module does after the events are stored.
type Effect struct {
	// Notice goes to the personal channel of To.
	To     string
	Notice *wire.ChatNotice
	// EndAccess ends every subscription of this user to the room's
	// channels, on every node.
	EndAccess string
	// Recheck asks the guards again about every subscription of this
	// user, on every node: their rights in the room changed (a role
	// granted or revoked, a ban that overrides their roles), and what no
	// longer allows a subscription (the moderation channel, the audit
	// logs) ends it.
	Recheck string
	// Audit is appended to the room's audit log.
	Audit *wire.AuditEntry
}

// Decide decides a command at now. A refusal is a *wire.Error saying why
// and, when it is temporary, when to retry.
func (r *Room) Decide(cmd Command, now time.Time) (Decision, error) {
	ms := now.UnixMilli()
	switch c := cmd.(type) {
	case Send:
		return r.send(c, ms)
	case Edit:
		return r.edit(c, ms)
	case Delete:
		return r.delete(c.Actor, c.ID, c.Reason, c.Old, ms)
	case React:
		return r.react(c, ms)
	case Report:
		return r.report(c, ms)
	case Moderate:
		return r.moderate(c, ms)
	case SetSettings:
		return r.setSettings(c, ms)
	case SetFilter:
		return r.setFilter(c, ms)
	case Tick:
		return r.tick(ms), nil
	}
	return Decision{}, wire.Errorf(wire.CodeBadRequest, false, "unknown chat command %T", cmd)
}

// RolesOf returns a user's roles in the room: granted in the room plus
// those of the token (actor roles).
func (r *Room) RolesOf(a Actor) []string {
	roles := append([]string(nil), a.Roles...)
	if g := r.Pub.Roles[a.User]; g != "" && !wire.HasRole(roles, g) {
		roles = append(roles, g)
	}
	return roles
}

// IsModerator reports whether a may moderate the room. A ban in the room
// overrides the roles of a token: a banned moderator moderates nothing.
func (r *Room) IsModerator(a Actor) bool {
	if a.Server {
		return true
	}
	if a.Guest || a.User == "" || r.banned(a.User) {
		return false
	}
	roles := r.RolesOf(a)
	return wire.HasRole(roles, wire.RoleModerator) || wire.HasRole(roles, wire.RoleOwner)
}

// IsOwner reports whether a owns the room.
func (r *Room) IsOwner(a Actor) bool {
	if a.Server {
		return true
	}
	return !a.Guest && a.User != "" && !r.banned(a.User) && wire.HasRole(r.RolesOf(a), wire.RoleOwner)
}

func (r *Room) banned(user string) bool {
	_, ok := r.Pub.Bans[user]
	return ok
}

// CanRead says whether a may read the room (subscribe, history, presence):
// everyone but banned users.
func (r *Room) CanRead(a Actor) *wire.Error {
	if _, banned := r.Pub.Bans[a.User]; banned && !a.Server && a.User != "" {
		return wire.Errorf(wire.CodeChatBanned, false, "you are banned from room %q", r.id)
	}
	return nil
}

// mayWrite says whether a may act in the room now (send, edit, react,
// type, report): not banned, not timed out, signed in when the room is
// members-only. Moderators are never refused here.
func (r *Room) mayWrite(a Actor, now int64) *wire.Error {
	if r.IsModerator(a) {
		return nil
	}
	if werr := r.CanRead(a); werr != nil {
		return werr
	}
	if until, ok := r.Pub.Timeouts[a.User]; ok && until > now {
		return tooSoon(wire.CodeChatTimedOut, until-now, "timed out by a moderator: you can write again in %s (at %s)",
			Wait(until-now), time.UnixMilli(until).UTC().Format("15:04:05 UTC"))
	}
	if r.Pub.Settings.MembersOnly && (a.Guest || a.User == "") {
		return wire.Errorf(wire.CodeChatMembersOnly, false, "members-only mode: sign in to write in this room")
	}
	return nil
}

// MayWrite is mayWrite for the module (typing indicators, floating
// reactions).
func (r *Room) MayWrite(a Actor, now time.Time) *wire.Error { return r.mayWrite(a, now.UnixMilli()) }

// WriteRules returns a room holding a copy of only what MayWrite reads
// (granted roles, timeouts, bans, the settings), which the caller may use
// without the room's lock while r changes.
func (r *Room) WriteRules() *Room {
	pub := &PublicState{Settings: r.Pub.Settings, Roles: maps.Clone(r.Pub.Roles),
		Timeouts: maps.Clone(r.Pub.Timeouts), Bans: maps.Clone(r.Pub.Bans)}
	return &Room{cfg: r.cfg, id: r.id, Pub: pub, Priv: newPrivate()}
}

// Wait formats a wait for people: "4 s", "2 min 5 s", "1 h 3 min". It
// rounds up to whole seconds, so a client that waits as long never hits
// the limit again.
func Wait(ms int64) string {
	s := (ms + 999) / 1000
	if s < 1 {
		s = 1
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		if s%60 == 0 {
			return fmt.Sprintf("%d min", s/60)
		}
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%d h %d min", s/3600, (s%3600+59)/60)
	}
	return fmt.Sprintf("%d d %d h", s/86400, (s%86400+3599)/3600)
}

// tooSoon is a temporary refusal of what may succeed in wait ms: the
// message says so for people (with Wait), RetryAfter for programs (the
// server API's Retry-After header).
func tooSoon(code uint32, wait int64, format string, args ...any) *wire.Error {
	e := wire.Errorf(code, true, format, args...)
	e.RetryAfter = time.Duration(max(wait, 1)) * time.Millisecond
	return e
}

func audit(room string, a Actor, action string, at int64) *wire.AuditEntry {
	return &wire.AuditEntry{At: at, Room: room, Actor: a.User, Action: action}
}

func notice(room, kind string, at int64) *wire.ChatNotice {
	return &wire.ChatNotice{Type: wire.NoticeType, Kind: kind, Room: room, At: at}
}

// cleanReason normalises a reason or note and checks its length.
func (r *Room) cleanReason(s string, required bool) (string, *wire.Error) {
	text, n := CleanText(s)
	if n == 0 && required {
		return "", wire.Errorf(wire.CodeBadRequest, false, "give a reason")
	}
	if n > r.cfg.MaxReason {
		return "", wire.Errorf(wire.CodeBadRequest, false, "reason is %d characters; the limit is %d", n, r.cfg.MaxReason)
	}
	return text, nil
}
