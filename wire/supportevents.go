package wire

// Support event types: the events of a conversation channel
// (support:<id>), which are its history and its transcript.
const (
	SupportOpened   = "opened"   // User, Room, Text (first message, may be empty), Context
	SupportClaimed  = "claimed"  // Agent: "agent joined"
	SupportMessage  = "message"  // ID, User (author), From ("user" or "agent"), Text, CID
	SupportReleased = "released" // Agent: the agent handed the conversation back to the queue
	SupportResolved = "resolved" // By ("" for the server API), Outcome, Note
)

// Message authors (SupportEvent.From).
const (
	FromUser  = "user"
	FromAgent = "agent"
)

// SupportEvent is one event of a conversation channel: the data of one
// publication. Fields not used by an event type are omitted.
type SupportEvent struct {
	Type    string          `json:"type"`
	At      int64           `json:"at"` // Unix ms, server clock
	ID      string          `json:"id,omitempty"`
	User    string          `json:"user,omitempty"`
	Room    string          `json:"room,omitempty"`
	Agent   string          `json:"agent,omitempty"`
	From    string          `json:"from,omitempty"`
	Text    string          `json:"text,omitempty"`
	CID     string          `json:"cid,omitempty"`
	By      string          `json:"by,omitempty"`
	Outcome string          `json:"outcome,omitempty"`
	Note    string          `json:"note,omitempty"`
	Context *SupportContext `json:"context,omitempty"`
	// Offset is the event's offset in the conversation channel, filled in
	// on transcript reads (a live publication carries it in the protocol).
	Offset uint64 `json:"offset,omitempty"`
}

// SupportContext is attached to a conversation when it opens: the room's
// last messages (by the server, from the room's chat) and what the page
// reported.
type SupportContext struct {
	Recent []SupportContextMessage `json:"recent,omitempty"` // oldest first
	Client *SupportClientContext   `json:"client,omitempty"`
}

// SupportContextMessage is one recent chat message of the room.
type SupportContextMessage struct {
	ID   string `json:"id"`
	User string `json:"user"`
	Text string `json:"text"`
	At   int64  `json:"at"`
	// Offset is the message's offset in the room's chat channel (0 in
	// conversations opened before it was recorded).
	Offset uint64 `json:"offset,omitempty"`
}

// Conversation statuses.
const (
	StatusQueued   = "queued"   // waiting for an agent
	StatusClaimed  = "claimed"  // an agent answers
	StatusResolved = "resolved" // ended with a resolution; the transcript is kept
)

// SupportConversation is a conversation's summary: what the queue, the
// lists and the answers of the actions show.
type SupportConversation struct {
	ID         string `json:"id"`
	User       string `json:"user"`
	Room       string `json:"room"`
	Status     string `json:"status"`
	OpenedAt   int64  `json:"opened_at"`      // Unix ms
	Text       string `json:"text,omitempty"` // the first message, cut to 200 characters
	Agent      string `json:"agent,omitempty"`
	ClaimedAt  int64  `json:"claimed_at,omitempty"`
	ResolvedAt int64  `json:"resolved_at,omitempty"`
	ResolvedBy string `json:"resolved_by,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	Note       string `json:"note,omitempty"`
	Messages   int    `json:"messages"` // messages so far (the first one included)
	LastAt     int64  `json:"last_at"`  // last event, Unix ms
	// Offset is the conversation channel's offset this summary describes:
	// of two summaries of one conversation, the higher offset is newer.
	Offset uint64 `json:"offset"`
	// Online says whether the user is subscribed to the conversation now
	// (support.queue reads presence; omitted elsewhere).
	Online *bool `json:"online,omitempty"`
	// UserName and AgentName are the display names the user and the agent
	// last used with support, filled in on reads: events carry only user
	// ids, so renaming or erasing a user never rewrites a transcript.
	UserName  string `json:"user_name,omitempty"`
	AgentName string `json:"agent_name,omitempty"`
}

// SupportQueue answers support.queue: open conversations, those waiting
// first (oldest first), then the claimed ones.
type SupportQueue struct {
	Conversations []SupportConversation `json:"conversations"`
}

// SupportQueueEvent is a publication of the queue channel: the summary of
// a conversation after it changed. A client keeps the newest summary per
// conversation (by Offset) and drops resolved ones from its queue.
type SupportQueueEvent struct {
	Type         string              `json:"type"` // always "conversation"
	Conversation SupportConversation `json:"conversation"`
}

// SupportTyping is a typing indicator on supporttyping:<id>. It is not
// stored; clients hide it at Until (Unix ms) unless a newer one arrives.
type SupportTyping struct {
	Type  string `json:"type"` // always "typing"
	User  string `json:"user"`
	From  string `json:"from"` // "user" or "agent"
	Until int64  `json:"until"`
}

// SupportTranscript is a conversation with every event of its channel,
// oldest first.
type SupportTranscript struct {
	Conversation SupportConversation `json:"conversation"`
	Events       []SupportEvent      `json:"events"`
	// Names maps the user ids in Events to display names, where known.
	Names map[string]string `json:"names,omitempty"`
}
