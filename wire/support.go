package wire

import "fmt"

// Support chat RPC methods: a private conversation between a user and a
// support agent, opened from a room. Each takes a JSON object and answers
// with a JSON object, or an error with one of the codes below. The full
// reference, with examples, is docs/support.md.
const (
	MethodSupportOpen       = "support.open"       // SupportOpenRequest → SupportOpenResult (signed-in users)
	MethodSupportCurrent    = "support.current"    // {} → SupportCurrentResult: the caller's open conversation
	MethodSupportSend       = "support.send"       // SupportSendRequest → SupportSendResult (the user or the claiming agent)
	MethodSupportTyping     = "support.typing"     // SupportIDRequest → SupportOK
	MethodSupportClaim      = "support.claim"      // SupportIDRequest → SupportConversation (agents)
	MethodSupportRelease    = "support.release"    // SupportIDRequest → SupportConversation (the claiming agent)
	MethodSupportResolve    = "support.resolve"    // SupportResolveRequest → SupportConversation
	MethodSupportQueue      = "support.queue"      // {} → SupportQueue (agents)
	MethodSupportTranscript = "support.transcript" // SupportIDRequest → SupportTranscript (the user or the claiming agent)
	MethodSupportNames      = "support.names"      // SupportNamesRequest → SupportNamesResult (signed-in users)
)

// Support error codes (the protocol leaves 400–1999 to applications; the
// chat uses 1000–1099). Every refusal says why in its message.
const (
	CodeSupportNoConversation uint32 = 1200 // no such conversation
	CodeSupportClaimed        uint32 = 1201 // another agent claimed the conversation first
	CodeSupportResolved       uint32 = 1202 // the conversation is resolved: open a new one
	CodeSupportNotClaimed     uint32 = 1203 // the action needs the conversation claimed by the caller
	CodeSupportRateLimited    uint32 = 1204 // too many messages in the window; temporary
	CodeSupportBadText        uint32 = 1205 // empty or too long after normalisation
	CodeSupportFull           uint32 = 1206 // the conversation reached its event limit: resolve it and open a new one
)

// SupportHTTPStatus is the HTTP status the server API answers a support
// error code with (0 for codes that are not support's).
func SupportHTTPStatus(code uint32) int {
	switch code {
	case CodeSupportNoConversation:
		return 404 // Not Found
	case CodeSupportClaimed, CodeSupportResolved, CodeSupportNotClaimed, CodeSupportFull:
		return 409 // Conflict
	case CodeSupportRateLimited:
		return 429 // Too Many Requests
	case CodeSupportBadText:
		return 422 // Unprocessable Content
	}
	return 0
}

// Support channels. A conversation's channel is its history (the
// transcript) and is private to its user and the agent who claimed it;
// the typing channel carries unstored typing indicators with the same
// access; agents follow the queue channel; room moderators read the
// room's support audit log.
func SupportChannel(id string) string       { return "support:" + id }
func SupportTypingChannel(id string) string { return "supporttyping:" + id }
func SupportAuditChannel(room string) string {
	return "audit:support." + room
}

// SupportQueueChannel is the live queue agents subscribe to.
const SupportQueueChannel = "supportq:main"

// SupportScope is the roles scope of support: a token whose roles claim
// gives RoleAgent in "support:*" (or "*") belongs to a support agent.
const SupportScope = "support:*"

// SupportAgent reports whether roles make their holder a support agent.
func SupportAgent(r Roles) bool { return HasRole(r.For(SupportScope), RoleAgent) }

// MaxConversationIDBytes bounds a conversation id.
const MaxConversationIDBytes = 64

// ValidateConversationID checks a conversation id: 1–64 of a–z and 0–9.
func ValidateConversationID(id string) error {
	if id == "" {
		return fmt.Errorf("conversation id is empty")
	}
	if len(id) > MaxConversationIDBytes {
		return fmt.Errorf("conversation id is %d bytes; the limit is %d", len(id), MaxConversationIDBytes)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("conversation id %q may hold only a–z and 0–9", id)
		}
	}
	return nil
}

// SupportOpenRequest opens a conversation from a room. The server attaches
// the room's recent messages; the page may add what it knows about the
// user's connection.
type SupportOpenRequest struct {
	Room string `json:"room"`
	Text string `json:"text,omitempty"` // a first message (optional)
	// CID (optional, 1–64 printable ASCII) identifies the first message:
	// a retried open that finds the conversation open does not send it
	// again.
	CID     string                `json:"cid,omitempty"`
	Context *SupportClientContext `json:"context,omitempty"`
}

// SupportClientContext is what the user's page reports when opening a
// conversation. Agents see it marked as reported by the client.
type SupportClientContext struct {
	Page       string `json:"page,omitempty"`       // at most 200 bytes
	UserAgent  string `json:"user_agent,omitempty"` // at most 300 bytes
	Connection string `json:"connection,omitempty"` // e.g. "connected", at most 40 bytes
	RTTms      int    `json:"rtt_ms,omitempty"`     // the measured round trip
}

// SupportOpenResult answers support.open. Existing is true when the user
// already had an open conversation: it is returned instead of a new one
// (one open conversation per user), and Text, if given, was sent in it.
type SupportOpenResult struct {
	Conversation SupportConversation `json:"conversation"`
	Existing     bool                `json:"existing,omitempty"`
}

// SupportCurrentResult holds the caller's open conversation, if any.
type SupportCurrentResult struct {
	Conversation *SupportConversation `json:"conversation,omitempty"`
}

// SupportIDRequest names a conversation.
type SupportIDRequest struct {
	ID string `json:"id"`
}

// SupportOK is the result of actions that return nothing else.
type SupportOK struct {
	OK bool `json:"ok"`
}

// SupportSendRequest sends a message in a conversation.
type SupportSendRequest struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	// CID is the client's id for this message (1–64 printable ASCII): a
	// retry with the same CID returns the first result.
	CID string `json:"cid,omitempty"`
}

// SupportSendResult answers support.send.
type SupportSendResult struct {
	ID        string `json:"id"`     // the message id
	Offset    uint64 `json:"offset"` // in the conversation channel
	At        int64  `json:"at"`     // Unix ms
	Text      string `json:"text"`   // as stored (normalised)
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Resolution outcomes. Agents (and the server API) resolve with one of
// the first four; a user ending their own conversation withdraws it.
const (
	OutcomeSolved     = "solved"
	OutcomeUnsolved   = "unsolved"
	OutcomeNoResponse = "no_response"
	OutcomeSpam       = "spam"
	OutcomeWithdrawn  = "withdrawn"
)

// AgentOutcomes are the outcomes an agent may choose.
var AgentOutcomes = []string{OutcomeSolved, OutcomeUnsolved, OutcomeNoResponse, OutcomeSpam}

// SupportResolveRequest ends a conversation with a resolution.
type SupportResolveRequest struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`        // see the Outcome… constants; a user may omit it
	Note    string `json:"note,omitempty"` // at most 500 characters, kept with the transcript
}

// SupportNamesRequest asks for the display names users last used with
// support (at most MaxSupportNames users).
type SupportNamesRequest struct {
	Users []string `json:"users"`
}

// MaxSupportNames bounds one support.names request.
const MaxSupportNames = 100

// SupportNamesResult maps user ids to names (unknown users are absent).
type SupportNamesResult struct {
	Names map[string]string `json:"names"`
}

// SupportListRequest lists conversations (server API support_list),
// newest first; every filter is optional.
type SupportListRequest struct {
	Status string `json:"status,omitempty"` // queued, claimed, resolved, or "open" (queued or claimed)
	User   string `json:"user,omitempty"`
	Agent  string `json:"agent,omitempty"`
	Room   string `json:"room,omitempty"`
	Limit  int    `json:"limit,omitempty"` // default 100, at most 1000
}

// SupportList answers support_list.
type SupportList struct {
	Conversations []SupportConversation `json:"conversations"`
}
