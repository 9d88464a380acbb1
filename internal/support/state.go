package support

import (
	"github.com/liveroom-dev/liveroom/wire"
)

// Conversation is one conversation's state: the fold of its channel's
// events. Not safe for concurrent use; the module holds a lock per
// conversation.
type Conversation struct {
	cfg *Config
	// S is plain data, so a snapshot is its JSON.
	S State
}

// State is what a conversation's events say.
type State struct {
	ID         string `json:"id"`
	User       string `json:"user,omitempty"`
	Room       string `json:"room,omitempty"`
	Status     string `json:"status,omitempty"` // "" until opened
	OpenedAt   int64  `json:"opened_at,omitempty"`
	Text       string `json:"text,omitempty"` // the first message, cut for summaries
	Agent      string `json:"agent,omitempty"`
	ClaimedAt  int64  `json:"claimed_at,omitempty"`
	ResolvedAt int64  `json:"resolved_at,omitempty"`
	ResolvedBy string `json:"resolved_by,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	Note       string `json:"note,omitempty"`
	Messages   int    `json:"messages"`
	Events     int    `json:"events"`
	LastAt     int64  `json:"last_at,omitempty"`
	// Offset is the offset of the last applied event.
	Offset uint64 `json:"offset"`
	// Sends are each author's message times within the rate window.
	Sends map[string][]int64 `json:"sends,omitempty"`
	// Sent answers retries of the last few sends that carried a cid.
	Sent []SentRecord `json:"sent,omitempty"`
}

// SentRecord is a send's result kept for retries.
type SentRecord struct {
	User   string `json:"user"`
	CID    string `json:"cid"`
	ID     string `json:"id"`
	Offset uint64 `json:"offset"`
	At     int64  `json:"at"`
	Text   string `json:"text"`
}

// previewChars bounds the first message kept in summaries.
const previewChars = 200

// New returns the state of conversation id with no events yet.
func New(cfg *Config, id string) *Conversation {
	return &Conversation{cfg: cfg, S: State{ID: id}}
}

// Restore replaces the state with a snapshot's.
func (c *Conversation) Restore(s State) { c.S = s }

// Offset is the offset of the last applied event (0: none): the expected
// offset of the next append.
func (c *Conversation) Offset() uint64 { return c.S.Offset }

// Apply folds one stored event into the state. offset is its offset in
// the conversation channel. Unknown event types only move the offset, so
// a newer server's events do not break an older one.
func (c *Conversation) Apply(offset uint64, ev wire.SupportEvent) {
	s := &c.S
	switch ev.Type {
	case wire.SupportOpened:
		s.User, s.Room, s.Status, s.OpenedAt = ev.User, ev.Room, wire.StatusQueued, ev.At
		if ev.Text != "" {
			s.Text = clip(ev.Text, previewChars)
			s.Messages++
		}
		if ev.CID != "" {
			c.keepSent(SentRecord{User: ev.User, CID: ev.CID, Offset: offset, At: ev.At, Text: ev.Text})
		}
	case wire.SupportClaimed:
		s.Status, s.Agent, s.ClaimedAt = wire.StatusClaimed, ev.Agent, ev.At
	case wire.SupportReleased:
		s.Status, s.Agent, s.ClaimedAt = wire.StatusQueued, "", 0
	case wire.SupportMessage:
		s.Messages++
		if s.Text == "" && ev.From == wire.FromUser {
			s.Text = clip(ev.Text, previewChars)
		}
		c.noteSend(ev)
		if ev.CID != "" {
			c.keepSent(SentRecord{User: ev.User, CID: ev.CID, ID: ev.ID, Offset: offset, At: ev.At, Text: ev.Text})
		}
	case wire.SupportResolved:
		s.Status, s.ResolvedAt, s.ResolvedBy = wire.StatusResolved, ev.At, ev.By
		s.Outcome, s.Note = ev.Outcome, ev.Note
		s.Sends = nil
	}
	s.Events++
	s.LastAt = ev.At
	s.Offset = offset
}

// keepSent keeps a message's result for retries of its cid, the last
// KeepSent of them.
func (c *Conversation) keepSent(r SentRecord) {
	s := &c.S
	s.Sent = append(s.Sent, r)
	if over := len(s.Sent) - c.cfg.KeepSent; over > 0 {
		s.Sent = append([]SentRecord(nil), s.Sent[over:]...)
	}
}

// noteSend records a message time for the author's rate limit, dropping
// times that left the window.
func (c *Conversation) noteSend(ev wire.SupportEvent) {
	s := &c.S
	if s.Sends == nil {
		s.Sends = map[string][]int64{}
	}
	cut := ev.At - c.cfg.RateWindow.Milliseconds()
	for user, times := range s.Sends {
		kept := times[:0:0]
		for _, t := range times {
			if t > cut {
				kept = append(kept, t)
			}
		}
		if len(kept) == 0 {
			delete(s.Sends, user)
		} else {
			s.Sends[user] = kept
		}
	}
	s.Sends[ev.User] = append(s.Sends[ev.User], ev.At)
}

// Summary is the conversation as the queue and the lists show it.
func (c *Conversation) Summary() wire.SupportConversation {
	s := c.S
	return wire.SupportConversation{
		ID: s.ID, User: s.User, Room: s.Room, Status: s.Status, OpenedAt: s.OpenedAt, Text: s.Text,
		Agent: s.Agent, ClaimedAt: s.ClaimedAt, ResolvedAt: s.ResolvedAt, ResolvedBy: s.ResolvedBy,
		Outcome: s.Outcome, Note: s.Note, Messages: s.Messages, LastAt: s.LastAt, Offset: s.Offset,
	}
}

// Opened reports whether the conversation exists (its opened event is
// applied).
func (c *Conversation) Opened() bool { return c.S.Status != "" }
