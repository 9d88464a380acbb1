package account

import (
	"time"
)

// Role is what an account may do beyond chatting. Features decide what
// each role allows; the account endpoints only use RoleAdmin (revoking any
// user's sessions).
type Role string

// Roles.
const (
	RoleUser      Role = "user"
	RoleModerator Role = "moderator"
	RoleAgent     Role = "agent" // support agents
	RoleAdmin     Role = "admin"
)

// ValidRole reports whether r is one of the roles above.
func ValidRole(r Role) bool {
	switch r {
	case RoleUser, RoleModerator, RoleAgent, RoleAdmin:
		return true
	}
	return false
}

// DeletedName is what a deleted account's name reads as.
const DeletedName = "deleted user"

// accountRecord is one account, at accounts/user.<id>.
type accountRecord struct {
	ID           string    `json:"id"`
	Email        string    `json:"email,omitempty"` // normalised; "" for guests
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	Guest        bool      `json:"guest,omitempty"`
	PasswordHash string    `json:"password_hash,omitempty"` // PHC argon2id string
	CreatedAt    time.Time `json:"created_at"`
	PasswordAt   time.Time `json:"password_changed_at,omitzero"`
	// Deleted marks a tombstone: the id stays taken and reads as
	// DeletedName; everything else was erased.
	Deleted   bool      `json:"deleted,omitempty"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// emailRecord maps a normalised email to its account, at
// accounts/email.<email>; created with compare-and-set, so an email has
// at most one account.
type emailRecord struct {
	User string `json:"user"`
}

// Profile is the public view of an account.
type Profile struct {
	ID        string    `json:"id"`
	Email     string    `json:"email,omitempty"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Guest     bool      `json:"guest"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *accountRecord) profile() Profile {
	if a.Deleted {
		return Profile{ID: a.ID, Name: DeletedName, Role: RoleUser}
	}
	return Profile{ID: a.ID, Email: a.Email, Name: a.Name, Role: a.Role, Guest: a.Guest, CreatedAt: a.CreatedAt}
}

// sessionRecord is one sign-in on one device, at sessions/<user>.<id>.
type sessionRecord struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// Key signs this session's refresh tokens (HMAC-SHA256 of the
	// generation); Gen is the generation of the one current refresh
	// token, RotatedAt when it was issued.
	Key       []byte    `json:"key"`
	Gen       uint64    `json:"gen"`
	RotatedAt time.Time `json:"rotated_at"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"` // absolute lifetime
	LastSeen  time.Time `json:"last_seen"`  // last sign-in or refresh
	LastAddr  string    `json:"last_addr"`
	Device    Device    `json:"device"`
	// Ended is set when the session was ended (revoked, signed out,
	// expired, refresh token reused), with the disconnect its connections
	// got; an ended record stays until its absolute expiry so that the
	// device is told why.
	EndedAt   time.Time `json:"ended_at,omitzero"`
	EndCode   uint32    `json:"end_code,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
}

// guardRecord holds what a backend or admin decided about a user id (any
// user id: apps with their own login use it too), at userguard/<user>.
type guardRecord struct {
	Blocked       bool      `json:"blocked,omitempty"`
	BlockedReason string    `json:"blocked_reason,omitempty"`
	BlockedAt     time.Time `json:"blocked_at,omitzero"`
	// RevokedBefore: tokens issued (iat) before it are refused, and
	// sessions created before it are over. Whole seconds.
	RevokedBefore time.Time `json:"revoked_before,omitzero"`
	// Deleted: the liveroom account was deleted.
	Deleted bool `json:"deleted,omitempty"`
}

// Device is where a session signed in, for the device list.
type Device struct {
	// Name is what the user reads: "Chrome on Android", or the name a
	// native app gave.
	Name string `json:"name"`
	// Platform is the operating system: "Android", "iOS", "Windows",
	// "macOS", "Linux", "ChromeOS", or "" when unknown.
	Platform string `json:"platform"`
	// Browser is the browser or app: "Chrome", "Firefox", "Safari",
	// "Edge", "Opera", or "" when unknown.
	Browser string `json:"browser"`
}

// SessionInfo is one entry of a user's device list.
type SessionInfo struct {
	ID        string    `json:"id"`
	Device    Device    `json:"device"`
	CreatedAt time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	LastAddr  string    `json:"last_address"`
	ExpiresAt time.Time `json:"expires_at"`
	// Current is true for the session that asked.
	Current bool `json:"current"`
}

func (s *sessionRecord) info(current string) SessionInfo {
	return SessionInfo{ID: s.ID, Device: s.Device, CreatedAt: s.CreatedAt, LastSeen: s.LastSeen,
		LastAddr: s.LastAddr, ExpiresAt: s.ExpiresAt, Current: s.ID == current}
}
