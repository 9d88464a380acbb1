package account

import (
	"context"
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// One password typed with a precomposed "é" (macOS, most keyboards) and
// with "e" plus a combining accent (some input methods) signs in either
// way; a hash stored from a password not in normalization form C still
// matches that exact input; a different password still does not match.
func TestPasswordIsComparedInNormalizationFormC(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	composed, decomposed := "caf\u00e9 au lait", "cafe\u0301 au lait"
	if _, err := f.SignUp(ctx, "ada@example.com", decomposed, "Ada", laptop); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SignIn(ctx, "ada@example.com", composed, phone); err != nil {
		t.Fatalf("sign-in with the composed form: %v", err)
	}
	if _, err := f.SignIn(ctx, "ada@example.com", decomposed, phone); err != nil {
		t.Fatalf("sign-in with the decomposed form: %v", err)
	}
	_, err := f.SignIn(ctx, "ada@example.com", "cafe au lait", phone)
	wantCode(t, err, wire.CodeBadCredentials)

	legacy := f.hash.compute(decomposed) // stored as typed, before normalizing
	if !f.hash.verify(decomposed, legacy) {
		t.Fatal("a hash of the input as typed no longer matches it")
	}
	if f.hash.verify("cafe au lait", legacy) {
		t.Fatal("a different password matches")
	}
}
