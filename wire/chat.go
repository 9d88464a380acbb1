package wire

import "fmt"

// Chat RPC methods. Each takes a JSON object naming its room and answers
// with a JSON object, or an error with one of the codes below. The full
// reference, with examples, is docs/chat.md.
const (
	MethodChatSend     = "chat.send"     // ChatSendRequest → ChatSendResult
	MethodChatEdit     = "chat.edit"     // ChatEditRequest → ChatOK
	MethodChatDelete   = "chat.delete"   // ChatDeleteRequest → ChatOK (own message, or any as moderator)
	MethodChatReact    = "chat.react"    // ChatReactRequest → ChatReactResult
	MethodChatTyping   = "chat.typing"   // ChatRoomRequest → ChatOK
	MethodChatReport   = "chat.report"   // ChatReportRequest → ChatReportResult
	MethodChatState    = "chat.state"    // ChatRoomRequest → ChatState
	MethodChatProfiles = "chat.profiles" // ChatProfilesRequest → ChatProfilesResult
	MethodChatModerate = "chat.moderate" // ChatModerateRequest → ChatOK (moderators)
	MethodChatSettings = "chat.settings" // ChatSettingsRequest → ChatSettingsResult (moderators)
	MethodChatQueue    = "chat.queue"    // ChatRoomRequest → ChatQueue (moderators)
	MethodChatAudit    = "chat.audit"    // ChatAuditRequest → ChatAuditResult (moderators)
)

// Chat error codes (the protocol leaves 400–1999 to applications). Every
// refusal also says in its message why and, when temporary, when to try
// again: "slow mode: wait 4 s".
const (
	CodeChatRateLimited uint32 = 1000 // too many messages in the window; temporary
	CodeChatSlowMode    uint32 = 1001 // slow mode; temporary
	CodeChatDuplicate   uint32 = 1002 // the same text again too soon; temporary
	CodeChatMentions    uint32 = 1003 // too many mentions; temporary when it is the per-minute limit
	CodeChatTimedOut    uint32 = 1004 // timed out by a moderator; temporary (until the timeout ends)
	CodeChatBanned      uint32 = 1005 // banned from the room
	CodeChatMembersOnly uint32 = 1006 // members-only mode and the user is not signed in
	CodeChatBlockedTerm uint32 = 1007 // the text contains a blocked term
	CodeChatLink        uint32 = 1008 // links are not allowed for this user in this room
	CodeChatTooLate     uint32 = 1009 // the edit window is over
	CodeChatNoMessage   uint32 = 1010 // no such message (or too old to act on)
	CodeChatBadText     uint32 = 1011 // empty or too long after normalisation
)

// Chat channels of a room. The room channel is the room's history; the
// others are private to moderators, carry typing indicators, or keep the
// audit log. Personal notices go to PersonalChannel(user).
func ChatChannel(room string) string       { return "chat:" + room }
func ChatModChannel(room string) string    { return "chatmod:" + room }
func TypingChannel(room string) string     { return "typing:" + room }
func ChatAuditChannel(room string) string  { return "audit:chat." + room }
func PersonalChannel(user string) string   { return "personal:" + user }
func chatRoomError(room, why string) error { return fmt.Errorf("room id %q %s", room, why) }

// MaxRoomBytes bounds a room id.
const MaxRoomBytes = 64

// ValidateRoom checks a room id: 1–64 of A–Z, a–z, 0–9, '_', '-' and '.'.
func ValidateRoom(room string) error {
	if room == "" {
		return chatRoomError(room, "is empty")
	}
	if len(room) > MaxRoomBytes {
		return chatRoomError(room, fmt.Sprintf("is %d bytes; the limit is %d", len(room), MaxRoomBytes))
	}
	for i := 0; i < len(room); i++ {
		c := room[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return chatRoomError(room, "may hold only letters, digits, '_', '-' and '.'")
		}
	}
	return nil
}

// ChatRoomRequest names a room (chat.typing, chat.state, chat.queue).
type ChatRoomRequest struct {
	Room string `json:"room"`
}

// ChatOK is the result of actions that return nothing else.
type ChatOK struct {
	OK bool `json:"ok"`
}

// ChatSendRequest sends a message.
type ChatSendRequest struct {
	Room string `json:"room"`
	Text string `json:"text"`
	// CID is the client's id for this message (1–64 printable ASCII): a
	// retry with the same CID within the dedupe window returns the first
	// result instead of sending twice.
	CID     string `json:"cid,omitempty"`
	ReplyTo string `json:"reply_to,omitempty"` // id of a message in the room
}

// Send statuses.
const (
	StatusPublished = "published" // in the room's history
	StatusHeld      = "held"      // waiting for a moderator; only the author sees it
)

// ChatSendResult answers chat.send.
type ChatSendResult struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Offset is the message's offset in the room channel; 0 when it went
	// to the author's personal channel instead (held for review).
	Offset uint64 `json:"offset,omitempty"`
	At     int64  `json:"at"`   // Unix ms
	Text   string `json:"text"` // as stored: normalised, maybe masked
	// Duplicate is true when this answers a retry of an earlier send.
	Duplicate bool `json:"duplicate,omitempty"`
	// NextAt is when this user may send again in this room (Unix ms; 0:
	// now), for a slow-mode countdown.
	NextAt int64 `json:"next_at,omitempty"`
}

// ChatEditRequest replaces the text of one's own message.
type ChatEditRequest struct {
	Room string `json:"room"`
	ID   string `json:"id"`
	Text string `json:"text"`
}

// ChatDeleteRequest deletes a message (it becomes a tombstone).
type ChatDeleteRequest struct {
	Room   string `json:"room"`
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"` // moderators: kept in the audit log
}

// ChatReactRequest adds (On) or removes a reaction: one per user per emoji.
type ChatReactRequest struct {
	Room  string `json:"room"`
	ID    string `json:"id"`
	Emoji string `json:"emoji"`
	On    bool   `json:"on"`
}

// ChatReactResult gives the emoji's count on the message afterwards.
type ChatReactResult struct {
	Count int `json:"count"`
}

// Report reasons offered by the demo; any short text is accepted.
var ReportReasons = []string{"spam", "harassment", "hate", "other"}

// ChatReportRequest reports a message (ID) or a user (User).
type ChatReportRequest struct {
	Room   string `json:"room"`
	ID     string `json:"id,omitempty"`
	User   string `json:"user,omitempty"`
	Reason string `json:"reason"`
}

// ChatReportResult confirms a report; Already is true when this user had
// reported the same target before (counted once).
type ChatReportResult struct {
	Target  string `json:"target"` // "message:<id>" or "user:<id>"
	Already bool   `json:"already,omitempty"`
}

// ChatProfilesRequest asks for display names and badges.
type ChatProfilesRequest struct {
	Room  string   `json:"room"`
	Users []string `json:"users"` // at most 100
}

// ChatProfile is how a user is shown. Names live in profiles, not in
// events, so erasing a user never rewrites history.
type ChatProfile struct {
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles,omitempty"` // badges in this room
}

// ChatProfilesResult maps user ids to profiles (unknown users are absent).
type ChatProfilesResult struct {
	Profiles map[string]ChatProfile `json:"profiles"`
}

// ChatTyping is a typing indicator on typing:<room>. It is not stored;
// clients hide it at Until (Unix ms) unless a newer one arrives.
type ChatTyping struct {
	Type  string `json:"type"` // always "typing"
	User  string `json:"user"`
	Until int64  `json:"until"`
}

// ChatHTTPStatus is the HTTP status the server API answers a chat error
// code with (0 for codes that are not the chat's).
func ChatHTTPStatus(code uint32) int {
	switch code {
	case CodeChatRateLimited, CodeChatSlowMode, CodeChatDuplicate, CodeChatMentions:
		return 429 // Too Many Requests
	case CodeChatTimedOut, CodeChatBanned, CodeChatMembersOnly, CodeChatLink, CodeChatBlockedTerm:
		return 403 // Forbidden
	case CodeChatTooLate:
		return 409 // Conflict
	case CodeChatNoMessage:
		return 404 // Not Found
	case CodeChatBadText:
		return 422 // Unprocessable Content
	}
	return 0
}
