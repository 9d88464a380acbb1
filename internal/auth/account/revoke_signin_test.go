package account

import (
	"context"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// revoke_tokens rounds its moment up to the next whole second. A sign-in
// during the rest of that second gets a session and tokens that work
// (they count as issued at the revocation moment), not a grant whose
// token is refused at once with 4503 and whose refresh ends the session.
// A moment set further ahead refuses sign-in until then, saying when.
func TestSignInJustAfterATokenRevocationWorks(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.mu.Lock()
	f.now = f.now.Truncate(time.Second).Add(300 * time.Millisecond)
	f.mu.Unlock()
	g, err := f.SignUp(ctx, "ada@example.com", "correct horse battery", "Ada", laptop)
	if err != nil {
		t.Fatal(err)
	}
	user := g.Account.ID
	if _, err := f.RevokeTokens(ctx, user, time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.advance(200 * time.Millisecond) // still within the revocation's second

	g2, err := f.SignIn(ctx, "ada@example.com", "correct horse battery", phone)
	if err != nil {
		t.Fatalf("sign-in just after the revocation: %v", err)
	}
	c, err := f.verifier.VerifyConnect(g2.Token, f.clock())
	if err != nil {
		t.Fatalf("new connection token: %v", err)
	}
	if d, err := f.Admit(ctx, c.User, c.Session, c.IssuedAt); err != nil || d != nil {
		t.Fatalf("new connection token refused: %v %v", d, err)
	}
	if _, err := f.Refresh(ctx, g2.Refresh, phone); err != nil {
		t.Fatalf("refresh of the new session: %v", err)
	}
	// The session from before the revocation is over.
	_, err = f.Refresh(ctx, g.Refresh, laptop)
	wantCode(t, err, wire.CodeSessionRevoked)

	// A revocation set 30 s ahead: sign-in waits for it, and says so.
	if _, err := f.RevokeTokens(ctx, user, f.clock().Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = f.SignIn(ctx, "ada@example.com", "correct horse battery", phone)
	e := wantCode(t, err, wire.CodeTooManyRequests)
	if e.RetryAfter < 29*time.Second || e.RetryAfter > 31*time.Second {
		t.Fatalf("retry after %v; want about 30 s", e.RetryAfter)
	}
}
