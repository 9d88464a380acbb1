package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/wire"
)

// Grant is what a sign-in or a refresh hands the device.
type Grant struct {
	Account Profile
	// Session is the session id (the tokens' "sid").
	Session string
	// Token is a connection token for this session, valid until
	// TokenExpiresAt (at most the session's end).
	Token          string
	TokenExpiresAt time.Time
	// Refresh is the session's new refresh token; empty when the refresh
	// was the grace use of the token just replaced (the device already
	// has the current one).
	Refresh string
	// SessionExpiresAt is the session's absolute end.
	SessionExpiresAt time.Time
}

func (s *Service) sessionKey(user, session string) string { return s.store.Key(user, session) }

// startSession creates a session for acct on the client's device, tells
// the user's other devices, and returns its first grant.
func (s *Service) startSession(ctx context.Context, acct *accountRecord, c Client) (*Grant, error) {
	now := s.cfg.Now()
	start, err := s.sessionStart(ctx, acct.ID, now)
	if err != nil {
		return nil, err
	}
	if err := s.trimSessions(ctx, acct.ID); err != nil {
		return nil, err
	}
	rec := &sessionRecord{
		ID: newSessionID(), User: acct.ID, Key: newSessionKey(), Gen: 1, RotatedAt: now,
		CreatedAt: start, ExpiresAt: now.Add(s.cfg.MaxAge), LastSeen: now, LastAddr: addrString(c), Device: deviceOf(c),
	}
	if _, err := s.store.Create(ctx, bucketSessions, s.sessionKey(acct.ID, rec.ID), encode(rec)); err != nil {
		return nil, storeFailure("create session", err)
	}
	g, err := s.grant(acct, rec, true)
	if err != nil {
		return nil, err
	}
	s.notify(ctx, acct.ID, wire.AccountNotice{Type: wire.NoticeSignIn, Session: rec.ID, Device: rec.Device.Name, Address: rec.LastAddr,
		Message: fmt.Sprintf("New sign-in on %s from %s", rec.Device.Name, rec.LastAddr)})
	return g, nil
}

// sessionStart is when a session starting at now counts as started. A
// token revocation is rounded up to the next whole second (tokens carry
// iat in seconds), so a sign-in during the rest of that second would
// start a session, and get tokens, that the revocation already refuses:
// such a session starts at the revocation moment instead (its tokens'
// iat at most a second ahead, within the verifiers' clock skew). A
// revocation set further ahead by the server API refuses sign-in until
// then, saying when to retry.
func (s *Service) sessionStart(ctx context.Context, user string, now time.Time) (time.Time, error) {
	g, err := s.guard(ctx, user)
	if err != nil || g == nil || !g.RevokedBefore.After(now) {
		return now, err
	}
	ahead := g.RevokedBefore.Sub(now)
	if ahead <= time.Second {
		return g.RevokedBefore, nil
	}
	return time.Time{}, tooMany("this account's tokens are revoked until a moment set by the server; sign in again", ahead)
}

func addrString(c Client) string {
	if !c.Addr.IsValid() {
		return "unknown address"
	}
	return c.Addr.Unmap().String()
}

// grant mints a connection token for the session (and, when rotated, the
// refresh token of its current generation).
func (s *Service) grant(acct *accountRecord, rec *sessionRecord, rotated bool) (*Grant, error) {
	info := map[string]any{"name": acct.Name}
	if acct.Role != RoleUser {
		info["role"] = acct.Role
	}
	if acct.Guest {
		info["guest"] = true
	}
	rawInfo, _ := json.Marshal(info)
	// A session started at a revocation moment (see sessionStart) issues
	// its tokens from that moment: a token issued before it is refused.
	iat := s.cfg.Now()
	if rec.CreatedAt.After(iat) {
		iat = rec.CreatedAt
	}
	token, err := s.cfg.Mint(auth.MintClaims{User: acct.ID, Info: rawInfo, TTL: s.cfg.TokenTTL, IssuedAt: iat,
		Session: rec.ID, ExpiresAt: rec.ExpiresAt})
	if err != nil {
		return nil, fmt.Errorf("account: mint connection token: %w", err)
	}
	g := &Grant{Account: acct.profile(), Session: rec.ID, Token: token, SessionExpiresAt: rec.ExpiresAt,
		TokenExpiresAt: minTime(iat.Truncate(time.Second).Add(s.cfg.TokenTTL), rec.ExpiresAt)}
	if rotated {
		g.Refresh = formatRefresh(rec.Key, rec.User, rec.ID, rec.Gen)
	}
	return g, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// sessionOver says why a session can no longer be used at now, or nil.
func (s *Service) sessionOver(rec *sessionRecord, g *guardRecord, now time.Time) *wire.Disconnect {
	switch {
	case !rec.EndedAt.IsZero():
		return &wire.Disconnect{Code: rec.EndCode, Reason: rec.EndReason}
	case g != nil && g.Deleted:
		return &wire.DisconnectAccountDeleted
	case g != nil && g.Blocked:
		return blockedDisconnect(g)
	case g != nil && rec.CreatedAt.Before(g.RevokedBefore):
		return &wire.DisconnectTokensRevoked
	case !now.Before(rec.ExpiresAt), !now.Before(rec.LastSeen.Add(s.cfg.IdleTimeout)):
		return &wire.DisconnectSessionExpired
	}
	return nil
}

// Refresh exchanges a refresh token for a connection token and the next
// refresh token (rotation). The token just replaced is accepted once more
// within the reuse window (two tabs refreshing at once) without rotating;
// any older genuine token ends the whole session (it was copied: the
// thief and the owner cannot both hold the current one) and closes its
// connections with 4507. A forged or malformed token is refused and
// changes nothing.
//
// Refusals: CodeNotSignedIn (no usable token), CodeSessionExpired,
// CodeSessionRevoked (with the reason the session ended), CodeUserBlocked.
func (s *Service) Refresh(ctx context.Context, token string, c Client) (*Grant, error) {
	t, ok := parseRefresh(token)
	if !ok {
		return nil, errNotSignedIn("the refresh token is missing or malformed")
	}
	key := s.sessionKey(t.user, t.session)
	for attempt := 0; ; attempt++ {
		now := s.cfg.Now()
		rec, rev, err := getJSON[sessionRecord](ctx, s.store, bucketSessions, key)
		if errors.Is(err, ErrNotFound) {
			return nil, refuse(wire.CodeSessionExpired, "%s", wire.DisconnectSessionExpired.Reason)
		}
		if err != nil {
			return nil, storeFailure("read session", err)
		}
		if rec.User != t.user || !t.genuine(rec.Key) {
			return nil, errNotSignedIn("the refresh token is not valid")
		}
		g, err := s.guard(ctx, t.user)
		if err != nil {
			return nil, err
		}
		if d := s.sessionOver(rec, g, now); d != nil {
			// A blocked user's sessions resume when unblocked; every other
			// reason ends the session for good.
			if rec.EndedAt.IsZero() && d.Code != wire.DisconnectUserBlocked.Code && d.Code != wire.DisconnectAccountDeleted.Code {
				s.endSession(ctx, rec.User, rec.ID, *d)
			}
			return nil, ended(*d)
		}
		switch {
		case t.gen == rec.Gen:
			rec.Gen++
			rec.RotatedAt, rec.LastSeen, rec.LastAddr = now, now, addrString(c)
			if _, err := s.store.Update(ctx, bucketSessions, key, encode(rec), rev); err != nil {
				if errors.Is(err, ErrConflict) && attempt < maxCASAttempts {
					continue // another refresh won; judge again
				}
				return nil, storeFailure("rotate refresh token", err)
			}
			return s.grantFor(ctx, rec, true)
		case t.gen+1 == rec.Gen && now.Sub(rec.RotatedAt) <= s.cfg.ReuseWindow:
			return s.grantFor(ctx, rec, false)
		case t.gen < rec.Gen:
			s.log.Warn("refresh token reused: session ended", "user", rec.User, "session", rec.ID,
				"generation", t.gen, "current", rec.Gen, "addr", addrString(c))
			if _, _, err := s.endSession(ctx, rec.User, rec.ID, wire.DisconnectRefreshReused); err != nil {
				return nil, err
			}
			s.notify(ctx, rec.User, wire.AccountNotice{Type: wire.NoticeRefreshReused, Session: rec.ID, Device: rec.Device.Name,
				Message: fmt.Sprintf("Signed out %s: its refresh token was used twice, so it may have been copied", rec.Device.Name)})
			return nil, ended(wire.DisconnectRefreshReused)
		default: // a generation from the future: the store lost a write
			return nil, errNotSignedIn("the refresh token is not valid")
		}
	}
}

func (s *Service) grantFor(ctx context.Context, rec *sessionRecord, rotated bool) (*Grant, error) {
	acct, _, err := getJSON[accountRecord](ctx, s.store, bucketAccounts, s.store.Key("user", rec.User))
	if err != nil {
		return nil, storeFailure("read account", err)
	}
	return s.grant(acct, rec, rotated)
}

// endSession marks a session ended with d (if it is not already) and
// closes its live connections. changed is false when it had already
// ended.
func (s *Service) endSession(ctx context.Context, user, session string, d wire.Disconnect) (*sessionRecord, bool, error) {
	changed := false
	rec, err := updateJSON(ctx, s.store, bucketSessions, s.sessionKey(user, session), func(r *sessionRecord) (bool, error) {
		if !r.EndedAt.IsZero() {
			return false, nil
		}
		r.EndedAt, r.EndCode, r.EndReason = s.cfg.Now(), d.Code, d.Reason
		changed = true
		return true, nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, false, refuse(wire.CodeNoSuchSession, "no such session")
		}
		return nil, false, storeFailure("end session", err)
	}
	// Close its connections even if it had ended already: a connection
	// may have slipped in while the first order travelled.
	s.disconnect(user, Filter{Session: session}, d)
	return rec, changed, nil
}

// SignOut ends the session of a refresh token (this device signs out).
// Other tabs of the same session get 4508 "signed out"; the user's other
// devices are told. Signing out of an ended session succeeds.
func (s *Service) SignOut(ctx context.Context, token string) error {
	t, ok := parseRefresh(token)
	if !ok {
		return errNotSignedIn("the refresh token is missing or malformed")
	}
	rec, _, err := getJSON[sessionRecord](ctx, s.store, bucketSessions, s.sessionKey(t.user, t.session))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return storeFailure("read session", err)
	}
	if rec.User != t.user || !t.genuine(rec.Key) {
		return errNotSignedIn("the refresh token is not valid")
	}
	_, changed, err := s.endSession(ctx, rec.User, rec.ID, wire.DisconnectSignedOut)
	if err != nil {
		return err
	}
	if changed {
		s.notify(ctx, rec.User, wire.AccountNotice{Type: wire.NoticeSignOut, Session: rec.ID, Device: rec.Device.Name,
			Message: fmt.Sprintf("Signed out on %s", rec.Device.Name)})
	}
	return nil
}

// listSessions returns a user's session records, deleting those past
// their absolute lifetime and those ended longer ago than the idle
// timeout (by then the device would have been signed out for idleness
// anyway, so why it ended no longer needs telling).
func (s *Service) listSessions(ctx context.Context, user string) ([]*sessionRecord, error) {
	keys, err := s.store.Keys(ctx, bucketSessions, s.store.Key(user)+".*", 0)
	if err != nil {
		return nil, storeFailure("list sessions", err)
	}
	now := s.cfg.Now()
	out := make([]*sessionRecord, 0, len(keys))
	for _, k := range keys {
		rec, _, err := getJSON[sessionRecord](ctx, s.store, bucketSessions, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, storeFailure("read session", err)
		}
		if !now.Before(rec.ExpiresAt) || (!rec.EndedAt.IsZero() && !now.Before(rec.EndedAt.Add(s.cfg.IdleTimeout))) {
			_ = s.store.Delete(ctx, bucketSessions, k)
			continue
		}
		out = append(out, rec)
	}
	return out, nil
}

// trimSessions makes room for one more session: past MaxSessions live
// ones, the least recently seen are ended.
func (s *Service) trimSessions(ctx context.Context, user string) error {
	recs, err := s.listSessions(ctx, user)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	var live []*sessionRecord
	for _, r := range recs {
		if s.sessionOver(r, nil, now) == nil {
			live = append(live, r)
		}
	}
	if len(live) < s.cfg.MaxSessions {
		return nil
	}
	sort.Slice(live, func(i, j int) bool { return live[i].LastSeen.Before(live[j].LastSeen) })
	for _, r := range live[:len(live)-s.cfg.MaxSessions+1] {
		if _, _, err := s.endSession(ctx, user, r.ID, wire.Disconnect{Code: wire.DisconnectSessionExpired.Code,
			Reason: "signed out: too many devices signed in — sign in again"}); err != nil {
			return err
		}
	}
	return nil
}

// Sessions lists the user's live sessions (devices), most recently seen
// first, marking current.
func (s *Service) Sessions(ctx context.Context, p Principal) ([]SessionInfo, error) {
	recs, err := s.listSessions(ctx, p.User)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := make([]SessionInfo, 0, len(recs))
	for _, r := range recs {
		if s.sessionOver(r, nil, now) == nil {
			out = append(out, r.info(p.Session))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Current != out[j].Current {
			return out[i].Current
		}
		return out[i].LastSeen.After(out[j].LastSeen)
	})
	return out, nil
}

// Revoke ends one of the user's sessions from another of their devices:
// its connections close at once with 4500 "session revoked from another
// device", its tokens stop working, the user's devices are told. Revoking
// the asking session itself is signing out (4508). CodeNoSuchSession when
// session is not a live session of this user.
func (s *Service) Revoke(ctx context.Context, p Principal, session string) error {
	d := wire.DisconnectSessionRevoked
	if session == p.Session {
		d = wire.DisconnectSignedOut
	}
	return s.revoke(ctx, p.User, session, d, p.Session)
}

func (s *Service) revoke(ctx context.Context, user, session string, d wire.Disconnect, by string) error {
	if !validSessionID(session) {
		return refuse(wire.CodeNoSuchSession, "no such session: %q is not a session id", truncate(session, 40))
	}
	rec, changed, err := s.endSession(ctx, user, session, d)
	if err != nil {
		return err
	}
	if changed {
		n := wire.AccountNotice{Type: wire.NoticeSessionRevoked, Session: session, Device: rec.Device.Name, By: by,
			Message: fmt.Sprintf("Signed out %s", rec.Device.Name)}
		if d.Code == wire.DisconnectSignedOut.Code {
			n.Type, n.Message = wire.NoticeSignOut, fmt.Sprintf("Signed out on %s", rec.Device.Name)
		}
		s.notify(ctx, user, n)
	}
	return nil
}

// RevokeOthers ends every session of the user but the asking one (sign
// out everywhere else) and returns how many it ended.
func (s *Service) RevokeOthers(ctx context.Context, p Principal) (int, error) {
	n, err := s.revokeAll(ctx, p.User, p.Session, wire.DisconnectSessionRevoked)
	if err == nil && n > 0 {
		s.notify(ctx, p.User, wire.AccountNotice{Type: wire.NoticeSessionsRevoked, By: p.Session, Count: n,
			Message: fmt.Sprintf("Signed out %d other device(s)", n)})
	}
	return n, err
}

// RevokeAll ends every session of user (admins, the server API), with
// 4506 "session revoked by an administrator", and returns how many.
func (s *Service) RevokeAll(ctx context.Context, user string) (int, error) {
	if err := checkUserID(user); err != nil {
		return 0, err
	}
	n, err := s.revokeAll(ctx, user, "", wire.DisconnectSessionRevokedByAdmin)
	if err == nil && n > 0 {
		s.notify(ctx, user, wire.AccountNotice{Type: wire.NoticeSessionsRevoked, Count: n,
			Message: fmt.Sprintf("An administrator signed out %d device(s)", n)})
	}
	return n, err
}

// RevokeSession ends one session of user for an admin or the backend.
func (s *Service) RevokeSession(ctx context.Context, user, session string) error {
	if err := checkUserID(user); err != nil {
		return err
	}
	return s.revoke(ctx, user, session, wire.DisconnectSessionRevokedByAdmin, "")
}

func (s *Service) revokeAll(ctx context.Context, user, keep string, d wire.Disconnect) (int, error) {
	recs, err := s.listSessions(ctx, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		if r.ID == keep || !r.EndedAt.IsZero() {
			continue
		}
		_, changed, err := s.endSession(ctx, user, r.ID, d)
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
