package account

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// sessionsDown is the real store with the sessions bucket's writes failing,
// as when that bucket's store failed on the node.
type sessionsDown struct {
	Store
	down atomic.Bool
}

var errSessionsDown = errors.New("the store failed on this node: key-value bucket \"sessions\": write error: file too large")

func (s *sessionsDown) Create(ctx context.Context, b, k string, v []byte) (uint64, error) {
	if b == bucketSessions && s.down.Load() {
		return 0, errSessionsDown
	}
	return s.Store.Create(ctx, b, k, v)
}

func (s *sessionsDown) Put(ctx context.Context, b, k string, v []byte) (uint64, error) {
	if b == bucketSessions && s.down.Load() {
		return 0, errSessionsDown
	}
	return s.Store.Put(ctx, b, k, v)
}

// A sign-up whose first session cannot be stored leaves no account behind:
// no unusable guest account, and an email sign-up can be retried with the
// same email once the store works again.
func TestSignUpWhoseSessionFailsLeavesNothing(t *testing.T) {
	var store *sessionsDown
	f := newFixture(t, func(c *Config) {
		store = &sessionsDown{Store: c.Store}
		c.Store = store
	})
	ctx := context.Background()
	store.down.Store(true)
	if _, err := f.SignUp(ctx, "ada@example.com", "correct horse battery", "Ada", laptop); !errors.Is(err, errSessionsDown) {
		t.Fatalf("sign-up with the sessions store down: %v; want its failure", err)
	}
	if _, err := f.Guest(ctx, "Gus", laptop); !errors.Is(err, errSessionsDown) {
		t.Fatalf("guest with the sessions store down: %v; want its failure", err)
	}
	keys, err := store.Store.Keys(ctx, bucketAccounts, ">", 0)
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("accounts left by refused sign-ups: %v", keys)
	}
	store.down.Store(false)
	if _, err := f.SignUp(ctx, "ada@example.com", "correct horse battery", "Ada", laptop); err != nil {
		t.Fatalf("sign-up retried once the store works: %v", err)
	}
}
