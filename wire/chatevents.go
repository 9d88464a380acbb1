package wire

// Chat event types. Events of the room channel (chat:<room>) are the room's
// history, seen by everyone; events of the moderation channel
// (chatmod:<room>) are seen only by the room's moderators.
const (
	// Room channel.
	EventMessage   = "message"   // ID, User, Text, At; ReplyTo, Mentions, CID, Held, Masked
	EventEdit      = "edit"      // ID, User, Text, At
	EventDelete    = "delete"    // ID, User (author), Mod (removed by a moderator), At
	EventReact     = "react"     // ID, Emoji, User, Count (after), At
	EventUnreact   = "unreact"   // ID, Emoji, User, Count (after), At
	EventPin       = "pin"       // ID, Message (a copy), At
	EventUnpin     = "unpin"     // At
	EventClear     = "clear"     // At: every earlier message is hidden
	EventSettings  = "settings"  // Settings, At
	EventSlowAuto  = "slow_auto" // On, Seconds: automatic slow mode switched, At
	EventRole      = "role"      // User, Role, On (granted or revoked), At
	EventTimeout   = "timeout"   // User, Until, At
	EventUntimeout = "untimeout" // User, At
	EventBan       = "ban"       // User, At
	EventUnban     = "unban"     // User, At

	// Moderation channel.
	EventHeld      = "held"      // a message held for review: as EventMessage, plus Reason
	EventRejected  = "rejected"  // ID (held), By, Reason, At
	EventShadow    = "shadow"    // a message of a shadow-banned user: as EventMessage
	EventShadowBan = "shadowban" // User, On, By, Reason, At
	EventReport    = "report"    // Report, At
	EventResolved  = "resolved"  // Target, Outcome, By, Reason (note), At
	EventFilter    = "filter"    // Terms (the room's term filter), By, At
)

// ChatEvent is one event of a chat channel: the data of one publication.
// Fields not used by an event type are omitted.
type ChatEvent struct {
	Type     string     `json:"type"`
	At       int64      `json:"at"` // Unix ms, server clock
	ID       string     `json:"id,omitempty"`
	User     string     `json:"user,omitempty"`
	Text     string     `json:"text,omitempty"`
	ReplyTo  string     `json:"reply_to,omitempty"`
	Mentions []string   `json:"mentions,omitempty"`
	CID      string     `json:"cid,omitempty"`
	Held     string     `json:"held,omitempty"`   // a released held message's id (its ID stays)
	Masked   bool       `json:"masked,omitempty"` // terms in Text were masked
	Mod      bool       `json:"mod,omitempty"`    // done by a moderator (room channel: who is not said)
	Emoji    string     `json:"emoji,omitempty"`
	Count    int        `json:"count,omitempty"`
	On       bool       `json:"on,omitempty"`
	Seconds  int        `json:"seconds,omitempty"`
	Until    int64      `json:"until,omitempty"` // Unix ms
	Role     string     `json:"role,omitempty"`
	Message  *ChatEvent `json:"message,omitempty"`
	// Redacted: the event is served from history or a recovery after
	// its message was deleted or cleared, without its text (decision 0026).
	Redacted bool `json:"redacted,omitempty"`
	// Edited: a message served from history or a recovery with the text
	// of a later edit instead of the text it was sent with (decision
	// 0027).
	Edited   bool          `json:"edited,omitempty"`
	Settings *ChatSettings `json:"settings,omitempty"`
	// Moderation channel only.
	By      string      `json:"by,omitempty"`
	Reason  string      `json:"reason,omitempty"`
	Report  *ChatReport `json:"report,omitempty"`
	Target  string      `json:"target,omitempty"`
	Outcome string      `json:"outcome,omitempty"`
	Terms   []ChatTerm  `json:"terms,omitempty"`
}

// Link policies of a room.
const (
	LinksAllow   = "allow"   // anyone may post links
	LinksMembers = "members" // not anonymous or new users
	LinksMods    = "mods"    // only moderators
)

// ChatSettings are a room's public settings.
type ChatSettings struct {
	// SlowMode is the seconds a user waits between messages (0: off).
	// Moderators are exempt.
	SlowMode int `json:"slow_mode"`
	// AutoSlow switches slow mode on (AutoSlowSeconds) when the room gets
	// busy and off when it calms down.
	AutoSlow        bool `json:"auto_slow"`
	AutoSlowSeconds int  `json:"auto_slow_seconds"`
	// MembersOnly lets only signed-in users write; anonymous users read.
	MembersOnly bool `json:"members_only"`
	// Links is LinksAllow, LinksMembers or LinksMods.
	Links string `json:"links"`
}

// Term filter actions, strongest first.
const (
	TermBlock = "block" // refuse the message
	TermHold  = "hold"  // hold it for review
	TermMask  = "mask"  // replace the term with asterisks
)

// ChatTerm is one entry of a term filter: a word or phrase matched
// case-insensitively on word boundaries.
type ChatTerm struct {
	Term   string `json:"term"`
	Action string `json:"action"`
}

// ChatReport is one report.
type ChatReport struct {
	ID       string `json:"id"`
	Reporter string `json:"reporter"`
	Target   string `json:"target"`            // "message:<id>" or "user:<id>"
	User     string `json:"user,omitempty"`    // the reported user (a message's author)
	Message  string `json:"message,omitempty"` // the reported message id
	Text     string `json:"text,omitempty"`    // the message text when reported
	Reason   string `json:"reason"`
}

// Report outcomes.
const (
	OutcomeActioned  = "actioned"  // a moderator acted on the target
	OutcomeDismissed = "dismissed" // no action needed
	// OutcomeExpired: the room's moderation queue was full and the group
	// was dropped to make room before a moderator resolved it; no
	// moderator decided anything (only in notices, never in a resolve).
	OutcomeExpired = "expired"
)

// ChatNotice is what the chat sends to one user's personal channel
// (personal:<user>): messages only they see, and news about their own
// standing and reports.
type ChatNotice struct {
	Type    string     `json:"type"` // always "chat.notice"
	Kind    string     `json:"kind"` // one of the Notice… constants
	Room    string     `json:"room"`
	At      int64      `json:"at"`
	Message *ChatEvent `json:"message,omitempty"` // NoticeOwn, NoticeHeld
	ID      string     `json:"id,omitempty"`
	Until   int64      `json:"until,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Target  string     `json:"target,omitempty"`
	Outcome string     `json:"outcome,omitempty"`
}

// NoticeType is ChatNotice.Type.
const NoticeType = "chat.notice"

// Notice kinds.
const (
	NoticeOwn       = "own"       // your message, shown to you in the room (merge it into the room's list)
	NoticeHeld      = "held"      // your message is waiting for review
	NoticeApproved  = "approved"  // your held message ID is now in the room
	NoticeRejected  = "rejected"  // your held message ID was rejected (Reason)
	NoticeTimeout   = "timeout"   // you are timed out Until (Reason)
	NoticeUntimeout = "untimeout" // your timeout was lifted
	NoticeBan       = "ban"       // you are banned (Reason)
	NoticeUnban     = "unban"     // your ban was lifted
	NoticeReported  = "reported"  // your report of Target was received
	NoticeOutcome   = "outcome"   // your report of Target was handled: Outcome
)
