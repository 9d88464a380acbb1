package account

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

func TestSignUpSignInDevicesAndNotices(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g1, err := f.SignUp(ctx, "  Ada@Example.COM ", "correct horse battery", "Ada", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if g1.Account.Email != "ada@example.com" || g1.Account.Name != "Ada" || g1.Account.Role != RoleUser || g1.Refresh == "" {
		t.Fatalf("grant %+v", g1)
	}
	if _, err := f.SignUp(ctx, "ada@example.com", "another password", "Ada 2", phone); err == nil {
		t.Fatal("second sign-up with the same email succeeded")
	} else {
		wantCode(t, err, wire.CodeEmailTaken)
	}

	hashesBefore := f.Stats().HashesRun
	_, errWrong := f.SignIn(ctx, "ada@example.com", "wrong password!", phone)
	_, errUnknown := f.SignIn(ctx, "nobody@example.com", "wrong password!", phone)
	a, b := wantCode(t, errWrong, wire.CodeBadCredentials), wantCode(t, errUnknown, wire.CodeBadCredentials)
	if a.Wire.Message != b.Wire.Message {
		t.Fatalf("wrong password says %q, unknown email says %q: they must not differ", a.Wire.Message, b.Wire.Message)
	}
	if ran := f.Stats().HashesRun - hashesBefore; ran != 2 {
		t.Fatalf("%d hashes for a wrong password and an unknown email; want one each (same work)", ran)
	}

	g2, err := f.SignIn(ctx, "ADA@example.com", "correct horse battery", phone)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Account.ID != g1.Account.ID || g2.Session == g1.Session {
		t.Fatalf("second sign-in: %+v", g2)
	}
	user := g1.Account.ID
	if got := f.noticeTypes(user); !slices.Equal(got, []string{wire.NoticeSignIn, wire.NoticeSignIn}) {
		t.Fatalf("notices %v; want two sign-ins", got)
	}
	f.mu.Lock()
	n := f.notices[user][1]
	f.mu.Unlock()
	if n.Session != g2.Session || n.Device != "Chrome on Android" || n.Address != "2001:db8:1:2::77" ||
		n.Message != "New sign-in on Chrome on Android from 2001:db8:1:2::77" {
		t.Fatalf("new sign-in notice %+v", n)
	}

	list, err := f.Sessions(ctx, f.principal(t, g1))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Current || list[0].ID != g1.Session || list[1].Current ||
		list[0].Device.Name != "Chrome on Linux" || list[1].Device.Name != "Chrome on Android" || list[1].LastAddr != "2001:db8:1:2::77" {
		t.Fatalf("device list from the laptop: %+v", list)
	}
}

func TestRefreshRotatesAndReuseEndsTheSession(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g, err := f.SignUp(ctx, "bob@example.com", "correct horse battery", "Bob", laptop)
	if err != nil {
		t.Fatal(err)
	}
	r1 := g.Refresh
	f.advance(time.Minute)
	g2, err := f.Refresh(ctx, r1, laptop)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Refresh == "" || g2.Refresh == r1 || g2.Session != g.Session || g2.Token == "" {
		t.Fatalf("rotation: %+v", g2)
	}
	// A second tab of the same browser refreshed with r1 at the same
	// moment: within the reuse window it gets a token, no new refresh
	// token, and nothing ends.
	f.advance(3 * time.Second)
	grace, err := f.Refresh(ctx, r1, laptop)
	if err != nil {
		t.Fatalf("refresh with the token just replaced, within the window: %v", err)
	}
	if grace.Refresh != "" || grace.Token == "" {
		t.Fatalf("grace refresh %+v; want a token and no new refresh token", grace)
	}
	// A forged token for the same session changes nothing.
	forged := r1[:len(r1)-4] + "AAAA"
	wantCode(t, func() error { _, err := f.Refresh(ctx, forged, laptop); return err }(), wire.CodeNotSignedIn)
	if _, err := f.Refresh(ctx, "lrr1.not.a.token", laptop); err == nil {
		t.Fatal("malformed refresh token accepted")
	}
	if d, _ := f.Admit(ctx, g.Account.ID, g.Session, f.clock()); d != nil {
		t.Fatalf("session ended by a forged token: %+v", d)
	}

	// After the window, r1 is a reused token: the whole session ends.
	f.advance(time.Minute)
	_, err = f.Refresh(ctx, r1, phone)
	e := wantCode(t, err, wire.CodeSessionRevoked)
	if !strings.Contains(e.Wire.Message, "refresh token was used twice") {
		t.Fatalf("reuse refusal says %q", e.Wire.Message)
	}
	if c := f.lastCut(); c.user != g.Account.ID || c.f.Session != g.Session || c.d != wire.DisconnectRefreshReused {
		t.Fatalf("disconnect order %+v; want the session's connections closed with 4507", c)
	}
	// The current token of the session is dead too: thief and owner alike
	// must sign in again.
	_, err = f.Refresh(ctx, g2.Refresh, laptop)
	wantCode(t, err, wire.CodeSessionRevoked)
	if d, _ := f.Admit(ctx, g.Account.ID, g.Session, f.clock()); d == nil || d.Code != 4507 {
		t.Fatalf("Admit after reuse: %+v; want 4507", d)
	}
	if !slices.Contains(f.noticeTypes(g.Account.ID), wire.NoticeRefreshReused) {
		t.Fatalf("no reuse notice: %v", f.noticeTypes(g.Account.ID))
	}
}

func TestReuseOfAnOlderGenerationEndsTheSessionAtOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g, err := f.Guest(ctx, "Cy", laptop)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := f.Refresh(ctx, g.Refresh, laptop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Refresh(ctx, g2.Refresh, laptop); err != nil {
		t.Fatal(err)
	}
	// g.Refresh is two generations old: no grace, even at once.
	_, err = f.Refresh(ctx, g.Refresh, laptop)
	wantCode(t, err, wire.CodeSessionRevoked)
}

func TestSessionExpiresIdleAndAbsolute(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g, err := f.Guest(ctx, "Idle", laptop)
	if err != nil {
		t.Fatal(err)
	}
	f.advance(24*time.Hour + time.Second)
	_, err = f.Refresh(ctx, g.Refresh, laptop)
	if e := wantCode(t, err, wire.CodeSessionExpired); e.Wire.Message != "session expired — sign in again" {
		t.Fatalf("idle expiry says %q", e.Wire.Message)
	}
	if d, _ := f.Admit(ctx, g.Account.ID, g.Session, f.clock()); d == nil || *d != wire.DisconnectSessionExpired {
		t.Fatalf("Admit of an expired session: %+v", d)
	}

	// Absolute: refreshed every 20 h, the session still ends 72 h after
	// sign-in.
	g, err = f.Guest(ctx, "Busy", laptop)
	if err != nil {
		t.Fatal(err)
	}
	r := g.Refresh
	for i := 0; i < 3; i++ {
		f.advance(20 * time.Hour)
		ng, err := f.Refresh(ctx, r, laptop)
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		if !ng.TokenExpiresAt.After(f.clock()) || ng.TokenExpiresAt.After(g.SessionExpiresAt) {
			t.Fatalf("token expiry %v outside now %v … session end %v", ng.TokenExpiresAt, f.clock(), g.SessionExpiresAt)
		}
		r = ng.Refresh
	}
	f.advance(12*time.Hour + time.Second)
	_, err = f.Refresh(ctx, r, laptop)
	wantCode(t, err, wire.CodeSessionExpired)
}

func TestRevokeFromAnotherDevice(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	a, err := f.SignUp(ctx, "dee@example.com", "correct horse battery", "Dee", laptop)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.SignIn(ctx, "dee@example.com", "correct horse battery", phone)
	if err != nil {
		t.Fatal(err)
	}
	pa := f.principal(t, a)
	if err := f.Revoke(ctx, pa, b.Session); err != nil {
		t.Fatal(err)
	}
	if c := f.lastCut(); c.user != a.Account.ID || c.f.Session != b.Session || c.d != wire.DisconnectSessionRevoked {
		t.Fatalf("disconnect order %+v", c)
	}
	_, err = f.Refresh(ctx, b.Refresh, phone)
	if e := wantCode(t, err, wire.CodeSessionRevoked); e.Wire.Message != "session revoked from another device" {
		t.Fatalf("revoked device's refresh says %q", e.Wire.Message)
	}
	if d, _ := f.Admit(ctx, a.Account.ID, b.Session, f.clock()); d == nil || *d != wire.DisconnectSessionRevoked {
		t.Fatalf("Admit of the revoked session: %+v", d)
	}
	if d, _ := f.Admit(ctx, a.Account.ID, a.Session, f.clock()); d != nil {
		t.Fatalf("the revoking session was ended too: %+v", d)
	}
	if got := f.noticeTypes(a.Account.ID); got[len(got)-1] != wire.NoticeSessionRevoked {
		t.Fatalf("notices %v", got)
	}

	// Another user's session id is not this user's to revoke.
	other, err := f.Guest(ctx, "Eve", laptop)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.Revoke(ctx, pa, other.Session), wire.CodeNoSuchSession)
	if d, _ := f.Admit(ctx, other.Account.ID, other.Session, f.clock()); d != nil {
		t.Fatalf("another user's session was ended: %+v", d)
	}
	wantCode(t, f.Revoke(ctx, pa, "../../"+other.Session), wire.CodeNoSuchSession)

	// Sign out everywhere else.
	c1, _ := f.SignIn(ctx, "dee@example.com", "correct horse battery", phone)
	c2, _ := f.SignIn(ctx, "dee@example.com", "correct horse battery", phone)
	n, err := f.RevokeOthers(ctx, pa)
	if err != nil || n != 2 {
		t.Fatalf("RevokeOthers = %d, %v; want 2", n, err)
	}
	for _, g := range []*Grant{c1, c2} {
		if d, _ := f.Admit(ctx, a.Account.ID, g.Session, f.clock()); d == nil || *d != wire.DisconnectSessionRevoked {
			t.Fatalf("other session after RevokeOthers: %+v", d)
		}
	}
	list, _ := f.Sessions(ctx, pa)
	if len(list) != 1 || !list[0].Current {
		t.Fatalf("devices after RevokeOthers: %+v", list)
	}
}

func TestGuardBlockAndRevokeTokens(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	const appUser = "app-user-17" // an app with its own login: no account here
	now := f.clock()
	if err := f.Block(ctx, appUser, "spam"); err != nil {
		t.Fatal(err)
	}
	if c := f.lastCut(); c.user != appUser || c.f != (Filter{}) || c.d.Code != 4502 || c.d.Reason != "account blocked: spam" {
		t.Fatalf("block disconnect %+v", c)
	}
	if d, _ := f.Admit(ctx, appUser, "", now.Add(time.Hour)); d == nil || d.Code != 4502 {
		t.Fatalf("blocked user's new token admitted: %+v", d)
	}
	if d, _ := f.Admit(ctx, "someone-else", "", now); d != nil {
		t.Fatalf("other user refused: %+v", d)
	}
	if err := f.Unblock(ctx, appUser); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.Admit(ctx, appUser, "", now); d != nil {
		t.Fatalf("unblocked user refused: %+v", d)
	}

	asked := now.Truncate(time.Second).Add(1300 * time.Millisecond)
	at, err := f.RevokeTokens(ctx, appUser, asked)
	if err != nil {
		t.Fatal(err)
	}
	if !at.Equal(asked.Truncate(time.Second).Add(time.Second)) {
		t.Fatalf("revoked before %v; want the next whole second after %v", at, asked)
	}
	if c := f.lastCut(); c.d.Code != 4503 || !c.f.IssuedBefore.Equal(at) {
		t.Fatalf("revoke disconnect %+v", c)
	}
	if d, _ := f.Admit(ctx, appUser, "", asked.Truncate(time.Second)); d == nil || d.Code != 4503 {
		t.Fatalf("token issued before the revocation admitted: %+v", d)
	}
	if d, _ := f.Admit(ctx, appUser, "", at); d != nil {
		t.Fatalf("token issued at the revocation moment refused: %+v", d)
	}
	if back, _ := f.RevokeTokens(ctx, appUser, now.Add(-time.Hour)); !back.Equal(at) {
		t.Fatalf("a later, older revocation moved the moment back to %v", back)
	}
	st, err := f.Status(ctx, appUser)
	if err != nil || st.Blocked || !st.RevokedBefore.Equal(at) {
		t.Fatalf("status %+v %v", st, err)
	}

	// A liveroom session started before a revocation is over.
	g, err := f.Guest(ctx, "Gus", laptop)
	if err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Second)
	if _, err := f.RevokeTokens(ctx, g.Account.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Refresh(ctx, g.Refresh, laptop)
	wantCode(t, err, wire.CodeSessionRevoked)

	// Blocked accounts cannot sign in or refresh; unblocked, they can.
	s, err := f.SignUp(ctx, "hal@example.com", "correct horse battery", "Hal", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Block(ctx, s.Account.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.SignIn(ctx, "hal@example.com", "correct horse battery", laptop)
	wantCode(t, err, wire.CodeUserBlocked)
	_, err = f.Refresh(ctx, s.Refresh, laptop)
	wantCode(t, err, wire.CodeUserBlocked)
	if err := f.Unblock(ctx, s.Account.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Refresh(ctx, s.Refresh, laptop); err != nil {
		t.Fatalf("refresh after unblock: %v", err)
	}
}

func TestPasswordChangeDeleteUpgradeExport(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	a, err := f.SignUp(ctx, "ivy@example.com", "correct horse battery", "Ivy", laptop)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.SignIn(ctx, "ivy@example.com", "correct horse battery", phone)
	pa := f.principal(t, a)
	_, err = f.ChangePassword(ctx, pa, "wrong current pw", "new secret phrase", true, laptop)
	wantCode(t, err, wire.CodeBadCredentials)
	_, err = f.ChangePassword(ctx, pa, "correct horse battery", "short", true, laptop)
	wantCode(t, err, wire.CodeWeakPassword)
	n, err := f.ChangePassword(ctx, pa, "correct horse battery", "new secret phrase", true, laptop)
	if err != nil || n != 1 {
		t.Fatalf("ChangePassword = %d, %v; want 1 other session ended", n, err)
	}
	if d, _ := f.Admit(ctx, a.Account.ID, b.Session, f.clock()); d == nil || *d != wire.DisconnectPasswordChanged {
		t.Fatalf("other session after the password change: %+v", d)
	}
	if _, err := f.SignIn(ctx, "ivy@example.com", "correct horse battery", phone); err == nil {
		t.Fatal("old password still works")
	}
	if _, err := f.SignIn(ctx, "ivy@example.com", "new secret phrase", phone); err != nil {
		t.Fatal(err)
	}

	exp, err := f.Export(ctx, pa)
	if err != nil || exp.Account.Email != "ivy@example.com" || len(exp.Sessions) != 2 {
		t.Fatalf("export %+v %v", exp, err)
	}

	wantCode(t, f.Delete(ctx, pa, "not the password", laptop), wire.CodeBadCredentials)
	if err := f.Delete(ctx, pa, "new secret phrase", laptop); err != nil {
		t.Fatal(err)
	}
	if c := f.lastCut(); c.user != a.Account.ID || c.d != wire.DisconnectAccountDeleted {
		t.Fatalf("delete disconnect %+v", c)
	}
	prof, err := f.ProfileOf(ctx, a.Account.ID)
	if err != nil || prof.Name != "deleted user" || prof.ID != a.Account.ID || prof.Email != "" {
		t.Fatalf("deleted profile %+v %v", prof, err)
	}
	if d, _ := f.Admit(ctx, a.Account.ID, a.Session, f.clock()); d == nil || *d != wire.DisconnectAccountDeleted {
		t.Fatalf("token of a deleted account: %+v", d)
	}
	if _, err := f.SignIn(ctx, "ivy@example.com", "new secret phrase", laptop); err == nil {
		t.Fatal("deleted account signed in")
	}
	again, err := f.SignUp(ctx, "ivy@example.com", "a fresh password", "Ivy again", laptop)
	if err != nil || again.Account.ID == a.Account.ID {
		t.Fatalf("sign-up with a deleted account's email: %+v %v", again, err)
	}

	// Guests upgrade with an email and a password.
	g, err := f.Guest(ctx, "Jo", laptop)
	if err != nil {
		t.Fatal(err)
	}
	pg := f.principal(t, g)
	_, err = f.Upgrade(ctx, pg, "ivy@example.com", "correct horse battery", laptop)
	wantCode(t, err, wire.CodeEmailTaken)
	prof, err = f.Upgrade(ctx, pg, "jo@example.com", "correct horse battery", laptop)
	if err != nil || prof.Guest || prof.Email != "jo@example.com" {
		t.Fatalf("upgrade %+v %v", prof, err)
	}
	if _, err := f.SignIn(ctx, "jo@example.com", "correct horse battery", phone); err != nil {
		t.Fatal(err)
	}
}

func TestRolesAndNames(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	g, err := f.Guest(ctx, "Kim", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetRole(ctx, g.Account.ID, "root"); err == nil {
		t.Fatal("unknown role accepted")
	}
	if p, err := f.SetRole(ctx, g.Account.ID, RoleAdmin); err != nil || p.Role != RoleAdmin {
		t.Fatalf("SetRole %+v %v", p, err)
	}
	ng, err := f.Refresh(ctx, g.Refresh, laptop)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.verifier.VerifyConnect(ng.Token, f.clock())
	if string(c.Info) != `{"guest":true,"name":"Kim","role":"admin"}` {
		t.Fatalf("token info %s", c.Info)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 33), "a\u200bb", "Deleted User", "\u3164", "\u2800 \uffa0"} {
		if _, err := f.Rename(ctx, f.principal(t, ng), bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// Ended sessions are kept only as long as telling their device why still
// matters; then listing removes them.
func TestEndedSessionsArePruned(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	a, err := f.Guest(ctx, "Pru", laptop)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Refresh(ctx, a.Refresh, laptop) // keep a alive
	if err != nil {
		t.Fatal(err)
	}
	pa := f.principal(t, b)
	var ended []string
	for i := 0; i < 3; i++ {
		g, err := f.startSession(ctx, &accountRecord{ID: a.Account.ID, Name: "Pru", Role: RoleUser}, phone)
		if err != nil {
			t.Fatal(err)
		}
		ended = append(ended, g.Session)
	}
	if n, err := f.RevokeOthers(ctx, pa); err != nil || n != 3 {
		t.Fatalf("RevokeOthers = %d, %v", n, err)
	}
	count := func() int {
		keys, err := f.store.Keys(ctx, bucketSessions, f.store.Key(a.Account.ID)+".*", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	if _, err := f.Sessions(ctx, pa); err != nil || count() != 4 {
		t.Fatalf("%d records right after revoking (%v); want 4 (the ended ones still say why)", count(), err)
	}
	if d, _ := f.Admit(ctx, a.Account.ID, ended[0], f.clock()); d == nil || *d != wire.DisconnectSessionRevoked {
		t.Fatalf("revoked session: %+v", d)
	}
	// A day later the revoked ones are past the idle timeout; the asking
	// session went idle too and is ended by its refresh just now.
	f.advance(24*time.Hour + time.Second)
	if _, err := f.Refresh(ctx, b.Refresh, laptop); err == nil {
		t.Fatal("idle session refreshed")
	}
	if _, err := f.Sessions(ctx, pa); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 1 {
		t.Fatalf("%d records a day later; want only the one that just expired (ended now)", got)
	}
}
