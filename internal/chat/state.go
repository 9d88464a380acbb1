package chat

import (
	"github.com/liveroom-dev/liveroom/wire"
)

// Stream names one of a room's two event streams.
type Stream uint8

const (
	// Public is the room channel chat:<room>.
	Public Stream = iota
	// Private is the moderation channel chatmod:<room>.
	Private
)

func (s Stream) String() string {
	if s == Private {
		return "private"
	}
	return "public"
}

// Room is one room's state: the fold of its two streams. Not safe for
// concurrent use; the module holds a lock per room.
type Room struct {
	cfg *Config
	id  string
	// Pub is the fold of the room channel, Priv of the moderation channel.
	// Both are plain data, so a snapshot is their JSON.
	Pub  *PublicState
	Priv *PrivateState
}

// NewRoom returns the state of a room with no events yet.
func NewRoom(cfg *Config, id string) *Room {
	return &Room{cfg: cfg, id: id, Pub: newPublic(cfg), Priv: newPrivate()}
}

// ID is the room id.
func (r *Room) ID() string { return r.id }

// PublicState is what the room channel's events say.
type PublicState struct {
	Settings wire.ChatSettings `json:"settings"`
	// AutoOn is whether automatic slow mode is on, since AutoSince (ms).
	AutoOn    bool  `json:"auto_on,omitempty"`
	AutoSince int64 `json:"auto_since,omitempty"`
	// Roles granted in the room: user → owner or moderator.
	Roles map[string]string `json:"roles"`
	// Timeouts: user → until (ms). Bans: user → since (ms).
	Timeouts map[string]int64 `json:"timeouts"`
	Bans     map[string]int64 `json:"bans"`
	// Messages are the most recent messages, oldest first.
	Messages []*Msg          `json:"messages"`
	Pinned   *wire.ChatEvent `json:"pinned,omitempty"`
	// Users is recent activity per user (rate limits, repeats, mentions).
	Users map[string]*Activity `json:"users"`
	// Known counts published messages per user, up to NewUserMessages.
	Known map[string]int `json:"known"`
	// Rate counts the room's messages per second (auto slow mode).
	Rate []SecondCount `json:"rate"`
	// Released maps held message ids published by approval → when.
	Released map[string]int64 `json:"released"`
	// Pruned is when expired activity was last dropped (ms).
	Pruned int64 `json:"pruned,omitempty"`
	// DeletedOld are the ids of messages deleted after they left Messages
	// (a moderator deleting from history), newest last, at most
	// maxDeletedOld: a second delete of one is a no-op.
	DeletedOld []string `json:"deleted_old,omitempty"`
}

// maxDeletedOld bounds PublicState.DeletedOld.
const maxDeletedOld = 1000

// noteDeletedOld records the delete of a message no longer in Messages.
func (p *PublicState) noteDeletedOld(id string) {
	if p.deletedOld(id) {
		return
	}
	if len(p.DeletedOld) >= maxDeletedOld {
		p.DeletedOld = append(p.DeletedOld[:0], p.DeletedOld[1:]...)
	}
	p.DeletedOld = append(p.DeletedOld, id)
}

// deletedOld reports whether a delete of message id, deleted after it left
// Messages, was applied.
func (p *PublicState) deletedOld(id string) bool {
	for _, have := range p.DeletedOld {
		if have == id {
			return true
		}
	}
	return false
}

// PrivateState is what the moderation channel's events say.
type PrivateState struct {
	Terms  []wire.ChatTerm  `json:"terms"`
	Shadow map[string]int64 `json:"shadow"` // user → since
	// Held messages waiting for a decision (approved ones are filtered out
	// with PublicState.Released), oldest first.
	Held    []*HeldMsg              `json:"held"`
	Reports map[string]*ReportGroup `json:"reports"` // open groups by target
	Users   map[string]*Activity    `json:"users"`
	Pruned  int64                   `json:"pruned,omitempty"`
}

// Msg is a recent message.
type Msg struct {
	ID      string `json:"id"`
	User    string `json:"user"`
	Text    string `json:"text"`
	At      int64  `json:"at"`
	Offset  uint64 `json:"offset"`
	ReplyTo string `json:"reply_to,omitempty"`
	Edited  int64  `json:"edited,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
	// Reactions: emoji → users, in the order they reacted.
	Reactions map[string][]string `json:"reactions,omitempty"`
}

// Activity is one user's recent writing in a room.
type Activity struct {
	Sends    []int64     `json:"sends,omitempty"`    // message and edit times within the rate window
	Last     int64       `json:"last,omitempty"`     // last message time (slow mode)
	Texts    []TextStamp `json:"texts,omitempty"`    // recent texts (repeats)
	Mentions []int64     `json:"mentions,omitempty"` // one time per mention
	Reacts   []int64     `json:"reacts,omitempty"`   // reaction times
	Reports  []int64     `json:"reports,omitempty"`  // times of reports filed (moderation stream)
	// Sent answers retries of the last few sends that carried a cid.
	Sent []SentRecord `json:"sent,omitempty"`
}

// TextStamp is a recent text's comparison key and time.
type TextStamp struct {
	Key string `json:"k"`
	At  int64  `json:"at"`
}

// SecondCount counts messages in one second (Unix seconds).
type SecondCount struct {
	Sec int64 `json:"s"`
	N   int   `json:"n"`
}

// SentRecord is a send's result kept for retries.
type SentRecord struct {
	CID    string `json:"cid"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Offset uint64 `json:"offset,omitempty"`
	At     int64  `json:"at"`
	Text   string `json:"text"`
}

// HeldMsg is a message waiting for review.
type HeldMsg struct {
	Event  wire.ChatEvent `json:"event"`
	Reason string         `json:"reason"`
}

// ReportGroup is every open report about one target.
type ReportGroup struct {
	Target  string            `json:"target"`
	User    string            `json:"user,omitempty"`
	Message string            `json:"message,omitempty"`
	Text    string            `json:"text,omitempty"`
	Reports []wire.ChatReport `json:"reports"`
	First   int64             `json:"first"`
	Last    int64             `json:"last"`
}

func newPublic(cfg *Config) *PublicState {
	return &PublicState{
		Settings: cfg.Defaults,
		Roles:    map[string]string{},
		Timeouts: map[string]int64{},
		Bans:     map[string]int64{},
		Users:    map[string]*Activity{},
		Known:    map[string]int{},
		Released: map[string]int64{},
	}
}

func newPrivate() *PrivateState {
	return &PrivateState{
		Shadow:  map[string]int64{},
		Reports: map[string]*ReportGroup{},
		Users:   map[string]*Activity{},
	}
}

// Restore replaces a stream's state with a snapshot's (JSON of the state
// at some offset), filling maps a snapshot may lack.
func (r *Room) Restore(pub *PublicState, priv *PrivateState) {
	if pub != nil {
		fresh := newPublic(r.cfg)
		fillMaps(pub, fresh)
		r.Pub = pub
	}
	if priv != nil {
		fresh := newPrivate()
		if priv.Shadow == nil {
			priv.Shadow = fresh.Shadow
		}
		if priv.Reports == nil {
			priv.Reports = fresh.Reports
		}
		if priv.Users == nil {
			priv.Users = fresh.Users
		}
		r.Priv = priv
	}
}

func fillMaps(p, fresh *PublicState) {
	if p.Roles == nil {
		p.Roles = fresh.Roles
	}
	if p.Timeouts == nil {
		p.Timeouts = fresh.Timeouts
	}
	if p.Bans == nil {
		p.Bans = fresh.Bans
	}
	if p.Users == nil {
		p.Users = fresh.Users
	}
	if p.Known == nil {
		p.Known = fresh.Known
	}
	if p.Released == nil {
		p.Released = fresh.Released
	}
}

// msg finds a recent message by id.
func (p *PublicState) msg(id string) *Msg {
	for i := len(p.Messages) - 1; i >= 0; i-- {
		if p.Messages[i].ID == id {
			return p.Messages[i]
		}
	}
	return nil
}

// evictee is the report group to drop when the queue is full: the one
// with the fewest reporters, the oldest of those (then by target, so every
// node folds the same). A flood of single reports about many targets
// pushes out its own groups before a group that several people reported.
func (p *PrivateState) evictee() string {
	var out *ReportGroup
	for _, g := range p.Reports {
		if out == nil || len(g.Reports) < len(out.Reports) ||
			len(g.Reports) == len(out.Reports) && (g.First < out.First || g.First == out.First && g.Target < out.Target) {
			out = g
		}
	}
	if out == nil {
		return ""
	}
	return out.Target
}

// seen reports whether the room knows user: they wrote in it (its message
// counts, its recent messages and the activity inside its windows, held
// or shadow messages included), or are timed out, banned, shadow-banned,
// granted a role or reported there already.
func (r *Room) seen(user string) bool {
	p, q := r.Pub, r.Priv
	if p.Known[user] > 0 || p.Users[user] != nil || q.Users[user] != nil || p.Roles[user] != "" {
		return true
	}
	if _, ok := p.Timeouts[user]; ok {
		return true
	}
	if _, ok := p.Bans[user]; ok {
		return true
	}
	if _, ok := q.Shadow[user]; ok {
		return true
	}
	if q.Reports["user:"+user] != nil {
		return true
	}
	for _, m := range p.Messages {
		if m.User == user {
			return true
		}
	}
	for _, h := range q.Held {
		if h.Event.User == user {
			return true
		}
	}
	return false
}

// held finds a pending held message by id.
func (p *PrivateState) held(id string) *HeldMsg {
	for _, h := range p.Held {
		if h.Event.ID == id {
			return h
		}
	}
	return nil
}
