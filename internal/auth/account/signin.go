package account

import (
	"context"
	"errors"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Every password check follows the same order: cheap input checks, then
// the attempt limiters (per address, then per email), and only then a
// hashing slot. A burst of attempts is therefore mostly refused before it
// costs memory or CPU, and what passes waits for one of a few slots.

// admitAttempt applies the address limiter and, when email is set, the
// email limiter.
func (s *Service) admitAttempt(c Client, email string) *Error {
	now := s.cfg.Now()
	if err := s.byAddr.allow(addressKey(c.Addr), now); err != nil {
		return err
	}
	if email != "" {
		if err := s.byMail.allow(email, now); err != nil {
			return err
		}
	}
	return nil
}

// withSlot runs fn while holding a hashing slot.
func (s *Service) withSlot(ctx context.Context, fn func()) error {
	if err := s.hash.acquire(ctx); err != nil {
		return err
	}
	defer s.hash.release()
	fn()
	return nil
}

// SignUp creates an account with an email and a password and signs it in
// on the client's device. Refusals: CodeNotAvailable (sign-up is off),
// CodeBadRequest (email or name), CodeWeakPassword, CodeTooManyRequests,
// CodeSignInBusy, CodeEmailTaken.
func (s *Service) SignUp(ctx context.Context, email, password, name string, c Client) (*Grant, error) {
	if !s.cfg.Signup {
		return nil, refuse(wire.CodeNotAvailable, "sign-up is off on this server")
	}
	email, werr := normalizeEmail(email)
	if werr != nil {
		return nil, werr
	}
	if name, werr = cleanName(name); werr != nil {
		return nil, werr
	}
	if werr := checkPassword(password); werr != nil {
		return nil, werr
	}
	if werr := s.admitAttempt(c, ""); werr != nil {
		return nil, werr
	}
	var phc string
	if err := s.withSlot(ctx, func() { phc = s.hash.hash(password) }); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	acct := &accountRecord{ID: newUserID(), Email: email, Name: name, Role: RoleUser, PasswordHash: phc, CreatedAt: now, PasswordAt: now}
	return s.createSignedIn(ctx, acct, c)
}

// createSignedIn stores a new account and starts its first session. When
// the session cannot be stored (the store failed or did not answer), the
// account and its email claim are removed again, so a refused sign-up
// leaves nothing behind: a guest account without a session could never be
// used, and an email account would make the retry answer "email taken".
// The removal is best effort, bounded by removeTimeout, even if ctx has
// ended.
func (s *Service) createSignedIn(ctx context.Context, acct *accountRecord, c Client) (*Grant, error) {
	if err := s.createAccount(ctx, acct); err != nil {
		return nil, err
	}
	g, err := s.startSession(ctx, acct, c)
	if err == nil {
		return g, nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	if acct.Email != "" {
		_ = s.store.Delete(rctx, bucketAccounts, s.store.Key("email", acct.Email))
	}
	_ = s.store.Delete(rctx, bucketAccounts, s.store.Key("user", acct.ID))
	return nil, err
}

// removeTimeout bounds the removal of a sign-up that could not start its
// session.
const removeTimeout = 2 * time.Second

// createAccount stores a new account and, for one with an email, claims
// the email (create-if-absent: two sign-ups with one email cannot both
// win).
func (s *Service) createAccount(ctx context.Context, acct *accountRecord) error {
	userKey := s.store.Key("user", acct.ID)
	if _, err := s.store.Create(ctx, bucketAccounts, userKey, encode(acct)); err != nil {
		return storeFailure("create account", err)
	}
	if acct.Email == "" {
		return nil
	}
	if err := s.claimEmail(ctx, acct.Email, acct.ID); err != nil {
		_ = s.store.Delete(ctx, bucketAccounts, userKey)
		return err
	}
	return nil
}

func (s *Service) claimEmail(ctx context.Context, email, user string) error {
	_, err := s.store.Create(ctx, bucketAccounts, s.store.Key("email", email), encode(emailRecord{User: user}))
	switch {
	case errors.Is(err, ErrExists):
		return refuse(wire.CodeEmailTaken, "an account with this email exists: sign in instead")
	case err != nil:
		return storeFailure("claim email", err)
	}
	return nil
}

// Guest creates a guest account with a display name only and signs it in
// on the client's device. It can be upgraded later with an email and a
// password; until then its sessions are its only credential.
func (s *Service) Guest(ctx context.Context, name string, c Client) (*Grant, error) {
	if !s.cfg.Guests {
		return nil, refuse(wire.CodeNotAvailable, "guest accounts are off on this server")
	}
	name, werr := cleanName(name)
	if werr != nil {
		return nil, werr
	}
	if werr := s.admitAttempt(c, ""); werr != nil {
		return nil, werr
	}
	acct := &accountRecord{ID: newUserID(), Name: name, Role: RoleUser, Guest: true, CreatedAt: s.cfg.Now()}
	return s.createSignedIn(ctx, acct, c)
}

// SignIn checks an email and a password and starts a session on the
// client's device; the user's other devices get a "new sign-in" notice.
// A wrong password and an unknown email get the same answer
// (CodeBadCredentials) after the same work: an unknown email is checked
// against a dummy hash. Other refusals: CodeBadRequest,
// CodeTooManyRequests, CodeSignInBusy, CodeUserBlocked.
func (s *Service) SignIn(ctx context.Context, email, password string, c Client) (*Grant, error) {
	email, werr := normalizeEmail(email)
	if werr != nil {
		return nil, werr
	}
	if len(password) > MaxPasswordBytes {
		return nil, errBadCredentials()
	}
	if werr := s.admitAttempt(c, email); werr != nil {
		return nil, werr
	}
	acct, err := s.accountByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	ok := false
	if err := s.withSlot(ctx, func() {
		if acct == nil {
			s.hash.verify(password, s.hash.dummyHash())
			return
		}
		ok = s.hash.verify(password, acct.PasswordHash)
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadCredentials()
	}
	g, err := s.guard(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	if g != nil && g.Blocked {
		return nil, refuse(wire.CodeUserBlocked, "%s", blockedDisconnect(g).Reason)
	}
	return s.startSession(ctx, acct, c)
}

// accountByEmail finds the live account with email; nil when none.
func (s *Service) accountByEmail(ctx context.Context, email string) (*accountRecord, error) {
	idx, _, err := getJSON[emailRecord](ctx, s.store, bucketAccounts, s.store.Key("email", email))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeFailure("read email", err)
	}
	acct, _, err := getJSON[accountRecord](ctx, s.store, bucketAccounts, s.store.Key("user", idx.User))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeFailure("read account", err)
	}
	if acct.Deleted || acct.Email != email {
		return nil, nil
	}
	return acct, nil
}
