// Package account is liveroom's own accounts, sign-in sessions and
// devices, for apps that do not bring their own login, and the per-user
// guard (blocked, tokens revoked, deleted) that every connection token
// passes, whoever issued it.
//
// # Accounts
//
// Email and password (argon2id, RFC 9106; costs in HashParams), or a guest
// with a display name only, upgradable later. Roles: user, moderator,
// agent, admin. Records live in JetStream KV buckets through the Store
// interface: "accounts" (user.<id> and email.<email>, the latter created
// with compare-and-set so an email has one account), "sessions"
// (<user>.<session>) and "userguard" (<user>).
//
// # Sessions and devices
//
// Each sign-in is a session bound to the device it came from (named from
// the User-Agent or by the app), with first and last seen and the last
// address. A session issues short connection tokens (JWT, claim "sid" =
// the session id, exp never past the session's end) in exchange for a
// rotating refresh token (see refresh.go: reuse of an old one ends the
// session). Sessions end by idle timeout or absolute lifetime ("session
// expired — sign in again"), by the user from another device (4500
// "session revoked from another device"), by signing out (4508), by a
// password change (4505), by an admin (4506) or by refresh token reuse
// (4507). An ended session's connections are closed at once through
// Config.Disconnect (the hub's cluster-wide control bus); its tokens are
// refused from then on by Admit, which the server runs on every connect
// and refresh. The user's devices get notices on their personal channel
// through Config.Notify.
//
// # Abuse
//
// Every password check runs, in this order, after cheap input checks: an
// attempt limit per IP address (IPv6 /64), an attempt limit per email
// (registered or not), then a hashing slot (Concurrency at once, Queue
// waiting; the rest answered "busy" at once). Memory for hashing thus
// peaks at Concurrency × MemoryKiB whatever the burst. Sign-in never says
// whether an email is registered: an unknown email costs a hash against a
// dummy like a known one and gets the same answer.
package account
