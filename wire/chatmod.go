package wire

// Moderation actions of chat.moderate (and the chat_moderate server API).
const (
	ActDelete      = "delete"      // ID: remove any message
	ActTimeout     = "timeout"     // User, Seconds (1 s – 14 days), Reason
	ActUntimeout   = "untimeout"   // User
	ActBan         = "ban"         // User, Reason
	ActUnban       = "unban"       // User
	ActShadowBan   = "shadowban"   // User, Reason: their messages reach only them
	ActUnshadowBan = "unshadowban" // User
	ActClear       = "clear"       // hide every message so far
	ActPin         = "pin"         // ID
	ActUnpin       = "unpin"       //
	ActApprove     = "approve"     // ID of a held message: publish it
	ActReject      = "reject"      // ID of a held message, Reason
	ActGrant       = "grant"       // User, Role (owners only)
	ActRevoke      = "revoke"      // User, Role (owners only)
	ActResolve     = "resolve"     // Target, Outcome, Reason (a note for the reporters)
)

// ChatModerateRequest is one moderation action.
type ChatModerateRequest struct {
	Room    string `json:"room"`
	Action  string `json:"action"`
	ID      string `json:"id,omitempty"`
	User    string `json:"user,omitempty"`
	Seconds int    `json:"seconds,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Role    string `json:"role,omitempty"`
	Target  string `json:"target,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

// ChatSettingsRequest reads (Set and Terms nil) or changes a room's
// settings and term filter. Set changes only the settings it names; Terms
// replaces the whole term filter.
type ChatSettingsRequest struct {
	Room  string             `json:"room"`
	Set   *ChatSettingsPatch `json:"set,omitempty"`
	Terms *[]ChatTerm        `json:"terms,omitempty"`
}

// ChatSettingsPatch changes some of a room's settings (ChatSettings has
// the meaning of each field): a field left out, or null, keeps the room's
// current value, so two moderators changing different settings at once do
// not undo each other. An empty patch changes nothing.
type ChatSettingsPatch struct {
	SlowMode        *int    `json:"slow_mode,omitempty"`
	AutoSlow        *bool   `json:"auto_slow,omitempty"`
	AutoSlowSeconds *int    `json:"auto_slow_seconds,omitempty"`
	MembersOnly     *bool   `json:"members_only,omitempty"`
	Links           *string `json:"links,omitempty"`
}

// Apply returns s with the fields p names replaced.
func (p ChatSettingsPatch) Apply(s ChatSettings) ChatSettings {
	if p.SlowMode != nil {
		s.SlowMode = *p.SlowMode
	}
	if p.AutoSlow != nil {
		s.AutoSlow = *p.AutoSlow
	}
	if p.AutoSlowSeconds != nil {
		s.AutoSlowSeconds = *p.AutoSlowSeconds
	}
	if p.MembersOnly != nil {
		s.MembersOnly = *p.MembersOnly
	}
	if p.Links != nil {
		s.Links = *p.Links
	}
	return s
}

// ChatSettingsResult is a room's settings and its own term filter.
type ChatSettingsResult struct {
	Settings ChatSettings `json:"settings"`
	Terms    []ChatTerm   `json:"terms"`
}

// ChatHeld is one message waiting for review.
type ChatHeld struct {
	Message ChatEvent `json:"message"`
	Reason  string    `json:"reason"` // why it was held ("term \"x\"")
}

// ChatReportGroup is every open report about one target.
type ChatReportGroup struct {
	Target  string       `json:"target"`
	User    string       `json:"user,omitempty"`    // the reported user
	Message *ChatEvent   `json:"message,omitempty"` // the reported message, when still known
	Reports []ChatReport `json:"reports"`
	First   int64        `json:"first"` // Unix ms of the first report
	Last    int64        `json:"last"`
}

// ChatQueue is a room's moderation queue.
type ChatQueue struct {
	Held    []ChatHeld        `json:"held"`
	Reports []ChatReportGroup `json:"reports"`
	// Sanctions in force: user → Unix ms until (timeouts), or 0 (bans,
	// shadow-bans).
	Timeouts   map[string]int64  `json:"timeouts"`
	Bans       []string          `json:"bans"`
	ShadowBans []string          `json:"shadow_bans"`
	Roles      map[string]string `json:"roles"` // granted in the room
}

// AuditEntry is one moderation action or setting change in a room's audit
// log (channel audit:chat.<room>, which the engine never lets anyone
// delete or purge).
type AuditEntry struct {
	At     int64  `json:"at"` // Unix ms
	Room   string `json:"room"`
	Actor  string `json:"actor"`  // user id of the moderator; "" for the server API
	Action string `json:"action"` // an Act… constant, "settings" or "filter"
	User   string `json:"user,omitempty"`
	ID     string `json:"id,omitempty"` // message id
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"` // e.g. "600 s", the new settings
	Offset uint64 `json:"offset,omitempty"` // filled in on reads
}

// ChatAuditRequest queries a room's audit log, newest first.
type ChatAuditRequest struct {
	Room      string `json:"room"`
	Moderator string `json:"moderator,omitempty"` // only this actor
	Target    string `json:"target,omitempty"`    // only actions on this user
	Limit     int    `json:"limit,omitempty"`     // default 100, at most 1000
	Before    uint64 `json:"before,omitempty"`    // offsets below this (paging)
}

// ChatAuditResult is a page of the audit log.
type ChatAuditResult struct {
	Entries []AuditEntry `json:"entries"`
}

// ChatState is what a client needs on joining a room.
type ChatState struct {
	Room     string       `json:"room"`
	Settings ChatSettings `json:"settings"`
	// SlowMode is the slow mode in force now (manual or automatic), in
	// seconds; AutoSlowOn says the automatic one is on.
	SlowMode   int        `json:"slow_mode"`
	AutoSlowOn bool       `json:"auto_slow_on"`
	Pinned     *ChatEvent `json:"pinned,omitempty"`
	Limits     ChatLimits `json:"limits"`
	Me         ChatMe     `json:"me"`
}

// ChatLimits are the server's fixed limits.
type ChatLimits struct {
	MaxChars      int `json:"max_chars"`
	RateMessages  int `json:"rate_messages"`
	RateWindowS   int `json:"rate_window_s"`
	EditWindowS   int `json:"edit_window_s"`
	MaxMentions   int `json:"max_mentions"`
	TypingTTLms   int `json:"typing_ttl_ms"`
	MaxTimeoutS   int `json:"max_timeout_s"`
	ReportReasonN int `json:"max_reason_chars"`
}

// ChatMe is the caller's standing in the room.
type ChatMe struct {
	User      string   `json:"user"`
	Roles     []string `json:"roles,omitempty"`
	Moderator bool     `json:"moderator"`
	Banned    bool     `json:"banned,omitempty"`
	Until     int64    `json:"timeout_until,omitempty"` // Unix ms
	NextAt    int64    `json:"next_at,omitempty"`       // Unix ms when a send is allowed
}
