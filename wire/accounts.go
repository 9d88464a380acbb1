package wire

// Disconnect codes of accounts, sessions and user controls. All are in the
// protocol's terminal application range (4500–4999): the SDK does not
// reconnect, and the page should say why and offer to sign in again.
var (
	// DisconnectSessionRevoked: the user ended this device's session from
	// another device (or signed out everywhere else).
	DisconnectSessionRevoked = Disconnect{4500, "session revoked from another device"}
	// DisconnectSessionExpired: the session passed its idle or absolute
	// lifetime.
	DisconnectSessionExpired = Disconnect{4501, "session expired — sign in again"}
	// DisconnectUserBlocked: the backend or an admin blocked the user.
	DisconnectUserBlocked = Disconnect{4502, "account blocked"}
	// DisconnectTokensRevoked: every token issued to the user before a
	// moment was revoked (server API revoke_tokens).
	DisconnectTokensRevoked = Disconnect{4503, "signed out: tokens revoked — sign in again"}
	// DisconnectAccountDeleted: the account was deleted.
	DisconnectAccountDeleted = Disconnect{4504, "account deleted"}
	// DisconnectPasswordChanged: the password was changed on another
	// device, which ended the other sessions.
	DisconnectPasswordChanged = Disconnect{4505, "signed out: password changed on another device"}
	// DisconnectSessionRevokedByAdmin: an administrator (or the backend
	// through the server API) ended the session.
	DisconnectSessionRevokedByAdmin = Disconnect{4506, "session revoked by an administrator"}
	// DisconnectRefreshReused: an old refresh token of this session was
	// used again, so the token may have been stolen and the whole session
	// was ended.
	DisconnectRefreshReused = Disconnect{4507, "session ended: its refresh token was used twice — sign in again"}
	// DisconnectSignedOut: the user signed out of this session (from this
	// device, in another tab of the same browser, say).
	DisconnectSignedOut = Disconnect{4508, "signed out"}
)

// Reply error codes of the account endpoints (HTTP bodies carry them with
// a real HTTP status; see docs/accounts.md). Temporary is set only on
// CodeSignInBusy.
const (
	// CodeBadCredentials: email or password wrong. Never says which, nor
	// whether the email is registered. HTTP 401.
	CodeBadCredentials uint32 = 1100
	// CodeEmailTaken: sign-up or upgrade with an email that has an account.
	// HTTP 409.
	CodeEmailTaken uint32 = 1101
	// CodeSessionExpired: the session passed its idle or absolute lifetime:
	// sign in again. HTTP 401.
	CodeSessionExpired uint32 = 1102
	// CodeSessionRevoked: the session was ended (revoked from another
	// device, by an admin, by a password change, or for refresh token
	// reuse): sign in again. HTTP 401.
	CodeSessionRevoked uint32 = 1103
	// CodeNotSignedIn: no session credential (cookie or refresh token) or
	// an unusable one. HTTP 401.
	CodeNotSignedIn uint32 = 1104
	// CodeUserBlocked: the account or user is blocked. HTTP 403.
	CodeUserBlocked uint32 = 1105
	// CodeWeakPassword: the new password does not meet the rules (length).
	// HTTP 400.
	CodeWeakPassword uint32 = 1106
	// CodeSignInBusy: too many password checks in flight on this node;
	// temporary, retry after Retry-After. HTTP 503.
	CodeSignInBusy uint32 = 1107
	// CodeOriginRefused: the request's Origin is not an allowed origin, or
	// a cookie-authenticated request failed the cross-site request checks.
	// HTTP 403.
	CodeOriginRefused uint32 = 1108
	// CodeNoSuchSession: the session to revoke is not one of the user's
	// live sessions. HTTP 404.
	CodeNoSuchSession uint32 = 1109
)

// AccountNotice is a publication on a user's personal channel
// ("personal:<user id>") about their account, for every device they are
// signed in on to show.
type AccountNotice struct {
	// Type is one of the Notice* constants.
	Type string `json:"type"`
	// Session is the session the notice is about (the new sign-in, the
	// revoked device).
	Session string `json:"session,omitempty"`
	// Device names that session's device, e.g. "Chrome on Android".
	Device string `json:"device,omitempty"`
	// Address is that session's last IP address.
	Address string `json:"address,omitempty"`
	// By is the session that acted (revoked another, changed the
	// password); empty for an admin or the backend.
	By string `json:"by,omitempty"`
	// Count is how many sessions a bulk revoke ended.
	Count int `json:"count,omitempty"`
	// Message is a sentence to show, e.g. "New sign-in on Chrome on
	// Android from 203.0.113.7".
	Message string `json:"message"`
	// At is when it happened, Unix milliseconds.
	At int64 `json:"at"`
}

// Notice types.
const (
	NoticeSignIn          = "account.signin"           // a new sign-in (Session, Device, Address)
	NoticeSessionRevoked  = "account.session_revoked"  // one session ended by another device or an admin
	NoticeSessionsRevoked = "account.sessions_revoked" // "sign out everywhere else" (Count, By)
	NoticeSignOut         = "account.signout"          // a device signed out
	NoticePasswordChanged = "account.password_changed" // the password changed (By)
	NoticeRefreshReused   = "account.refresh_reused"   // a session ended because its refresh token was used twice
)
