// Package auth verifies and mints the JSON Web Tokens of the client
// protocol (connection and subscription tokens), keeps the server's own
// generated secrets, and checks server API keys.
//
// # Verifying
//
// A Verifier holds a KeySet (one to MaxKeys keys, for rotation) and checks,
// in this order, each step refusing with ErrInvalidToken unless noted:
//
//  1. Shape, before any decoding: at most MaxTokenLength bytes (8 KiB by
//     default), exactly two dots, three non-empty base64url segments, a
//     header of at most 1 KiB. Megabytes of dots cost a single pass over the
//     bytes and no allocation proportional to them.
//  2. Algorithm and key. The algorithm is pinned by the configured key,
//     never chosen by the token: the header's "alg" must be exactly the
//     algorithm of the key that verifies it ("none" in any spelling, a
//     missing alg, HS256 under an RS256 key, PS256 under an RSA key are all
//     refused). A "kid" selects that key alone (unknown kid: refused); without
//     one, the keys of the token's algorithm are tried in configuration
//     order. Headers with "crit" are refused.
//  3. Signature, with strict base64url (one encoding per signature).
//  4. Claims, decoded only now: exact-case names, a claim given twice is
//     refused, unknown claims are ignored (RFC 7519 §4). "aud" and "iss" are
//     checked when configured. A connection token must not have "channel"; a
//     subscription token must have the subscribed channel and the
//     connection's user. "sid" names the sign-in session a token belongs
//     to (Claims.Session); the hub can close one session's connections,
//     and package account checks its own sessions (ids "lrs_…") on every
//     connect and refresh.
//  5. Times: iat and nbf may be at most ClockSkew (5 s) in the future; exp is
//     required (unless AllowNoExpiry) and checked last with Leeway (0 by
//     default), so ErrTokenExpired means "correct in every other way: fetch
//     a fresh one".
//
// Errors are *TokenError values whose message names the problem without key
// material, e.g. "token expired 12 s ago" or "token signed with RS256 but
// this server expects HS256". The hub maps ErrTokenExpired to protocol error
// 109 and ErrInvalidToken to disconnect 3500 (connect) or error 103
// (subscribe).
//
// # Decisions
//
//   - Leeway on exp defaults to 0: the issuer and this server share NTP time,
//     clients refresh on error 109 anyway, and leeway only lengthens the life
//     of a leaked token. nbf and iat get a separate 5 s ClockSkew, because
//     tolerance at the start of a token's life does not lengthen it and
//     issuers round times differently.
//   - exp is required by default: a token without one is a credential that
//     never dies. VerifierConfig.AllowNoExpiry accepts them.
//   - aud and iss are checked only when configured (as in the protocol's
//     reference server), so existing backends that set them keep working.
//   - A subscription token and a connection token cannot be swapped: the
//     "channel" claim marks the former.
//   - HS256 secrets shorter than 32 bytes and RSA keys under 2048 bits are
//     refused at configuration time.
//   - Generated secrets (LoadOrCreateSecrets) are never regenerated silently:
//     a corrupt, unreadable or world-readable file stops the server with a
//     message naming the file, because new secrets would invalidate every
//     issued token and API client.
package auth
