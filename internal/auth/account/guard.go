package account

import (
	"context"
	"errors"
	"fmt"

	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/wire"
)

// The guard: what a backend or an admin decided about a user id (blocked,
// tokens revoked before a moment, account deleted). It applies to every
// connection token, liveroom account or an app's own login alike, at
// connect and at refresh (Admit), so a decision holds for connections
// opened later too, not only for those closed when it was made.

// guard reads the user's guard record; nil when there is none.
func (s *Service) guard(ctx context.Context, user string) (*guardRecord, error) {
	if user == "" {
		return nil, nil
	}
	g, _, err := getJSON[guardRecord](ctx, s.store, bucketGuard, s.store.Key(user))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeFailure("read user guard", err)
	}
	return g, nil
}

// changeGuard creates or updates user's guard record with change.
func (s *Service) changeGuard(ctx context.Context, user string, change func(*guardRecord)) (*guardRecord, error) {
	key := s.store.Key(user)
	for attempt := 0; ; attempt++ {
		g, rev, err := getJSON[guardRecord](ctx, s.store, bucketGuard, key)
		switch {
		case errors.Is(err, ErrNotFound):
			g = &guardRecord{}
			change(g)
			_, err = s.store.Create(ctx, bucketGuard, key, encode(g))
		case err == nil:
			change(g)
			_, err = s.store.Update(ctx, bucketGuard, key, encode(g), rev)
		}
		if err == nil {
			return g, nil
		}
		if !(errors.Is(err, ErrConflict) || errors.Is(err, ErrExists)) || attempt == maxCASAttempts {
			return nil, storeFailure("write user guard", err)
		}
	}
}

func blockedDisconnect(g *guardRecord) *wire.Disconnect {
	d := wire.DisconnectUserBlocked
	if g.BlockedReason != "" {
		d.Reason += ": " + g.BlockedReason
	}
	return &d
}

// Admit decides whether a genuine connection token may still be used:
// nil when it may, else the disconnect to close the connection with
// (4502 blocked, 4503 issued before a revocation, 4504 account deleted;
// for a liveroom session — a sid with SessionPrefix — also why the
// session ended, or 4501 when it expired). The error is a store failure.
func (s *Service) Admit(ctx context.Context, user, session string, issuedAt time.Time) (*wire.Disconnect, error) {
	if user == "" {
		return nil, nil
	}
	g, err := s.guard(ctx, user)
	if err != nil {
		return nil, err
	}
	if g != nil {
		switch {
		case g.Deleted:
			return &wire.DisconnectAccountDeleted, nil
		case g.Blocked:
			return blockedDisconnect(g), nil
		case !g.RevokedBefore.IsZero() && issuedAt.Before(g.RevokedBefore):
			return &wire.DisconnectTokensRevoked, nil
		}
	}
	if len(session) < len(SessionPrefix) || session[:len(SessionPrefix)] != SessionPrefix {
		return nil, nil
	}
	if !validSessionID(session) {
		return &wire.DisconnectSessionExpired, nil
	}
	rec, _, err := getJSON[sessionRecord](ctx, s.store, bucketSessions, s.sessionKey(user, session))
	if errors.Is(err, ErrNotFound) {
		return &wire.DisconnectSessionExpired, nil
	}
	if err != nil {
		return nil, storeFailure("read session", err)
	}
	return s.sessionOver(rec, g, s.cfg.Now()), nil
}

// Principal is who a verified account token speaks for.
type Principal struct {
	User    string
	Session string
	Role    Role
	Guest   bool
}

// Authorize checks a verified connection token used as a Bearer
// credential on the account endpoints: it must belong to a live liveroom
// session of a live account.
func (s *Service) Authorize(ctx context.Context, c *auth.ConnectClaims) (Principal, error) {
	if !validSessionID(c.Session) || !validID(c.User) {
		return Principal{}, errNotSignedIn("this token is not from a liveroom account session")
	}
	d, err := s.Admit(ctx, c.User, c.Session, c.IssuedAt)
	if err != nil {
		return Principal{}, err
	}
	if d != nil {
		return Principal{}, ended(*d)
	}
	acct, _, err := getJSON[accountRecord](ctx, s.store, bucketAccounts, s.store.Key("user", c.User))
	if errors.Is(err, ErrNotFound) || (err == nil && acct.Deleted) {
		return Principal{}, ended(wire.DisconnectAccountDeleted)
	}
	if err != nil {
		return Principal{}, storeFailure("read account", err)
	}
	return Principal{User: acct.ID, Session: c.Session, Role: acct.Role, Guest: acct.Guest}, nil
}

// maxBlockReason bounds a block reason (it travels in a close frame).
const maxBlockReason = 80

// Block blocks user: their connections close at once with 4502, new
// connection tokens are refused, liveroom sessions cannot refresh until
// Unblock. reason (optional, at most 80 bytes) is shown to the user.
func (s *Service) Block(ctx context.Context, user, reason string) error {
	if err := checkUserID(user); err != nil {
		return err
	}
	if len(reason) > maxBlockReason {
		return refuse(wire.CodeBadRequest, "reason is %d bytes; at most %d", len(reason), maxBlockReason)
	}
	g, err := s.changeGuard(ctx, user, func(g *guardRecord) {
		g.Blocked, g.BlockedReason, g.BlockedAt = true, reason, s.cfg.Now()
	})
	if err != nil {
		return err
	}
	s.disconnect(user, Filter{}, *blockedDisconnect(g))
	return nil
}

// Unblock lifts a block; tokens revoked meanwhile stay revoked.
func (s *Service) Unblock(ctx context.Context, user string) error {
	if err := checkUserID(user); err != nil {
		return err
	}
	_, err := s.changeGuard(ctx, user, func(g *guardRecord) {
		g.Blocked, g.BlockedReason, g.BlockedAt = false, "", time.Time{}
	})
	return err
}

// RevokeTokens refuses every token of user issued before before (whole
// seconds, rounded up: a token issued during that second is refused too;
// zero means now), closes the connections using such tokens with 4503,
// and ends liveroom sessions started before it. It returns the moment
// applied. A later revocation never moves the moment back. A moment more
// than maxRevokeAhead past the server's clock is refused (CodeBadRequest).
func (s *Service) RevokeTokens(ctx context.Context, user string, before time.Time) (time.Time, error) {
	if err := checkUserID(user); err != nil {
		return time.Time{}, err
	}
	now := s.cfg.Now()
	if before.IsZero() {
		before = now
	}
	if ahead := before.Sub(now); ahead > maxRevokeAhead {
		// Sub saturates at about 292 years (a time in milliseconds is
		// thousands of years ahead): past a day, count days from the
		// seconds instead.
		gap := ahead.Round(time.Second).String()
		if ahead > 24*time.Hour {
			gap = fmt.Sprintf("%d days", (before.Unix()-now.Unix())/86400)
		}
		return time.Time{}, refuse(wire.CodeBadRequest,
			"before is %s ahead of the server's clock; give a Unix time in seconds (not milliseconds), at most %s ahead: "+
				"a later time would refuse every token the user gets until then", gap, maxRevokeAhead)
	}
	if t := before.Truncate(time.Second); !t.Equal(before) {
		before = t.Add(time.Second)
	}
	g, err := s.changeGuard(ctx, user, func(g *guardRecord) {
		if before.After(g.RevokedBefore) {
			g.RevokedBefore = before
		}
	})
	if err != nil {
		return time.Time{}, err
	}
	s.disconnect(user, Filter{IssuedBefore: g.RevokedBefore}, wire.DisconnectTokensRevoked)
	return g.RevokedBefore, nil
}

// UserStatus is what the guard holds about a user.
type UserStatus struct {
	Blocked       bool      `json:"blocked"`
	BlockedReason string    `json:"blocked_reason,omitempty"`
	RevokedBefore time.Time `json:"revoked_before,omitzero"`
	Deleted       bool      `json:"deleted,omitempty"`
}

// Status returns the guard's view of user.
func (s *Service) Status(ctx context.Context, user string) (UserStatus, error) {
	if err := checkUserID(user); err != nil {
		return UserStatus{}, err
	}
	g, err := s.guard(ctx, user)
	if err != nil || g == nil {
		return UserStatus{}, err
	}
	return UserStatus{Blocked: g.Blocked, BlockedReason: g.BlockedReason, RevokedBefore: g.RevokedBefore, Deleted: g.Deleted}, nil
}

// maxUserIDBytes bounds a user id given to the guard (a token's sub).
const maxUserIDBytes = wire.MaxUserIDBytes

// maxRevokeAhead is how far past the server's clock RevokeTokens accepts
// a moment: clock skew between the caller and the server, not more. A
// time further ahead (a value in milliseconds read as seconds, a typo)
// would lock the user out until then, and a later call never moves the
// moment back.
const maxRevokeAhead = time.Minute

func checkUserID(user string) *Error {
	switch {
	case user == "":
		return refuse(wire.CodeBadRequest, "user is empty")
	case len(user) > maxUserIDBytes:
		return refuse(wire.CodeBadRequest, "user id is %d bytes; at most %d", len(user), maxUserIDBytes)
	}
	if err := wire.ValidateUserID(user); err != nil {
		// No token can carry such a sub (it is refused as invalid).
		return refuse(wire.CodeBadRequest, "%s", err.Error())
	}
	return nil
}
