package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

func (s *Service) account(ctx context.Context, user string) (*accountRecord, error) {
	acct, _, err := getJSON[accountRecord](ctx, s.store, bucketAccounts, s.store.Key("user", user))
	if errors.Is(err, ErrNotFound) {
		return nil, refuse(wire.CodeNoSuchSession, "no such account")
	}
	if err != nil {
		return nil, storeFailure("read account", err)
	}
	return acct, nil
}

func (s *Service) updateAccount(ctx context.Context, user string, change func(*accountRecord) error) (*accountRecord, error) {
	acct, err := updateJSON(ctx, s.store, bucketAccounts, s.store.Key("user", user), func(a *accountRecord) (bool, error) {
		if a.Deleted {
			return false, ended(wire.DisconnectAccountDeleted)
		}
		return true, change(a)
	})
	var aerr *Error
	if err != nil && !errors.As(err, &aerr) {
		return nil, storeFailure("update account", err)
	}
	return acct, err
}

// Me returns the asking account.
func (s *Service) Me(ctx context.Context, p Principal) (Profile, error) {
	acct, err := s.account(ctx, p.User)
	if err != nil {
		return Profile{}, err
	}
	return acct.profile(), nil
}

// ProfileOf returns any account's public profile; a deleted account reads
// as "deleted user" and keeps only its id.
func (s *Service) ProfileOf(ctx context.Context, user string) (Profile, error) {
	if err := checkUserID(user); err != nil {
		return Profile{}, err
	}
	acct, err := s.account(ctx, user)
	if err != nil {
		return Profile{}, err
	}
	p := acct.profile()
	p.Email = "" // not for others to see
	return p, nil
}

// Rename changes the display name; tokens minted from now on carry it.
func (s *Service) Rename(ctx context.Context, p Principal, name string) (Profile, error) {
	name, werr := cleanName(name)
	if werr != nil {
		return Profile{}, werr
	}
	acct, err := s.updateAccount(ctx, p.User, func(a *accountRecord) error { a.Name = name; return nil })
	if err != nil {
		return Profile{}, err
	}
	return acct.profile(), nil
}

// SetRole gives user a role (the server API; admins are made this way).
func (s *Service) SetRole(ctx context.Context, user string, role Role) (Profile, error) {
	if !ValidRole(role) {
		return Profile{}, refuse(wire.CodeBadRequest, "role %q is not one of user, moderator, agent, admin", truncate(string(role), 20))
	}
	if !validID(user) {
		return Profile{}, refuse(wire.CodeNoSuchSession, "no such account: %q is not a liveroom account id", truncate(user, 40))
	}
	acct, err := s.updateAccount(ctx, user, func(a *accountRecord) error { a.Role = role; return nil })
	if errors.Is(err, ErrNotFound) {
		return Profile{}, refuse(wire.CodeNoSuchSession, "no such account")
	}
	if err != nil {
		return Profile{}, err
	}
	return acct.profile(), nil
}

// Upgrade gives a guest account an email and a password.
func (s *Service) Upgrade(ctx context.Context, p Principal, email, password string, c Client) (Profile, error) {
	email, werr := normalizeEmail(email)
	if werr != nil {
		return Profile{}, werr
	}
	if werr := checkPassword(password); werr != nil {
		return Profile{}, werr
	}
	if !p.Guest {
		return Profile{}, refuse(wire.CodeBadRequest, "this account already has an email and a password")
	}
	if werr := s.admitAttempt(c, ""); werr != nil {
		return Profile{}, werr
	}
	var phc string
	if err := s.withSlot(ctx, func() { phc = s.hash.hash(password) }); err != nil {
		return Profile{}, err
	}
	if err := s.claimEmail(ctx, email, p.User); err != nil {
		return Profile{}, err
	}
	now := s.cfg.Now()
	acct, err := s.updateAccount(ctx, p.User, func(a *accountRecord) error {
		if !a.Guest {
			return refuse(wire.CodeBadRequest, "this account already has an email and a password")
		}
		a.Guest, a.Email, a.PasswordHash, a.PasswordAt = false, email, phc, now
		return nil
	})
	if err != nil {
		_ = s.store.Delete(ctx, bucketAccounts, s.store.Key("email", email))
		return Profile{}, err
	}
	return acct.profile(), nil
}

// checkCurrentPassword verifies the account's password for a sensitive
// change, behind the attempt limiters and a hashing slot.
func (s *Service) checkCurrentPassword(ctx context.Context, acct *accountRecord, password string, c Client) error {
	if werr := s.admitAttempt(c, acct.Email); werr != nil {
		return werr
	}
	ok := false
	if err := s.withSlot(ctx, func() { ok = len(password) <= MaxPasswordBytes && s.hash.verify(password, acct.PasswordHash) }); err != nil {
		return err
	}
	if !ok {
		return refuse(wire.CodeBadCredentials, "current password is wrong")
	}
	return nil
}

// ChangePassword replaces the password after checking the current one.
// With endOthers every other session ends (4505 "signed out: password
// changed on another device"). The user's devices are told.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string, endOthers bool, c Client) (int, error) {
	if werr := checkPassword(next); werr != nil {
		return 0, werr
	}
	acct, err := s.account(ctx, p.User)
	if err != nil {
		return 0, err
	}
	if acct.Guest {
		return 0, refuse(wire.CodeBadRequest, "a guest account has no password yet: add an email and a password instead")
	}
	if err := s.checkCurrentPassword(ctx, acct, current, c); err != nil {
		return 0, err
	}
	var phc string
	if err := s.withSlot(ctx, func() { phc = s.hash.hash(next) }); err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	if _, err := s.updateAccount(ctx, p.User, func(a *accountRecord) error { a.PasswordHash, a.PasswordAt = phc, now; return nil }); err != nil {
		return 0, err
	}
	n := 0
	if endOthers {
		if n, err = s.revokeAll(ctx, p.User, p.Session, wire.DisconnectPasswordChanged); err != nil {
			return n, err
		}
	}
	msg := "Your password was changed"
	if n > 0 {
		msg = fmt.Sprintf("Your password was changed and %d other device(s) signed out", n)
	}
	s.notify(ctx, p.User, wire.AccountNotice{Type: wire.NoticePasswordChanged, By: p.Session, Count: n, Message: msg})
	return n, nil
}

// Delete erases the account: its sessions end (4504 "account deleted" on
// every connection), its email is freed, its profile is erased down to a
// tombstone that keeps the id taken and reads as "deleted user", and
// tokens for the id are refused from now on. Content published under the
// id keeps only the id. An account with a password must give it.
func (s *Service) Delete(ctx context.Context, p Principal, password string, c Client) error {
	acct, err := s.account(ctx, p.User)
	if err != nil {
		return err
	}
	if !acct.Guest {
		if err := s.checkCurrentPassword(ctx, acct, password, c); err != nil {
			return err
		}
	}
	if _, err := s.changeGuard(ctx, p.User, func(g *guardRecord) { g.Deleted = true }); err != nil {
		return err
	}
	s.disconnect(p.User, Filter{}, wire.DisconnectAccountDeleted)
	recs, err := s.listSessions(ctx, p.User)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := s.store.Delete(ctx, bucketSessions, s.sessionKey(p.User, r.ID)); err != nil {
			return storeFailure("delete session", err)
		}
	}
	if acct.Email != "" {
		if err := s.store.Delete(ctx, bucketAccounts, s.store.Key("email", acct.Email)); err != nil {
			return storeFailure("free email", err)
		}
	}
	tomb := &accountRecord{ID: acct.ID, Name: DeletedName, Role: RoleUser, CreatedAt: acct.CreatedAt, Deleted: true, DeletedAt: s.cfg.Now()}
	if _, err := s.store.Put(ctx, bucketAccounts, s.store.Key("user", acct.ID), encode(tomb)); err != nil {
		return storeFailure("erase account", err)
	}
	return nil
}

// Export is everything liveroom keeps about an account, for the user to
// download.
type Export struct {
	Account    Profile       `json:"account"`
	PasswordAt time.Time     `json:"password_changed_at,omitzero"`
	Sessions   []SessionInfo `json:"sessions"`
	Status     UserStatus    `json:"status"`
	ExportedAt time.Time     `json:"exported_at"`
}

// Export returns the asking account's data.
func (s *Service) Export(ctx context.Context, p Principal) (*Export, error) {
	acct, err := s.account(ctx, p.User)
	if err != nil {
		return nil, err
	}
	sessions, err := s.Sessions(ctx, p)
	if err != nil {
		return nil, err
	}
	st, err := s.Status(ctx, p.User)
	if err != nil {
		return nil, err
	}
	return &Export{Account: acct.profile(), PasswordAt: acct.PasswordAt, Sessions: sessions, Status: st, ExportedAt: s.cfg.Now()}, nil
}
