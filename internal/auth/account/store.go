package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Store is the key-value store the records live in: JetStream KV buckets
// (design D2) reached through the hub's module store, which the server
// adapts to this interface. Implementations return errors that wrap
// ErrNotFound, ErrExists and ErrConflict as documented; anything else is a
// store failure (the caller answers "temporary, retry").
type Store interface {
	// Get returns a key's value and revision; ErrNotFound when unset.
	Get(ctx context.Context, bucket, key string) ([]byte, uint64, error)
	// Create sets a key that has no value; ErrExists otherwise.
	Create(ctx context.Context, bucket, key string, value []byte) (uint64, error)
	// Update sets a key whose revision is still revision (compare and
	// set); ErrConflict otherwise.
	Update(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error)
	// Put sets a key unconditionally.
	Put(ctx context.Context, bucket, key string, value []byte) (uint64, error)
	// Delete removes a key's value; deleting a missing key succeeds.
	Delete(ctx context.Context, bucket, key string) error
	// Keys lists up to limit keys (≤ 0: all) matching a filter built with
	// Key and a final ".*".
	Keys(ctx context.Context, bucket, filter string, limit int) ([]string, error)
	// Key joins parts into a key, escaping any character keys may not
	// hold, so that distinct parts give distinct keys and "Key(a)+".*""
	// matches exactly the two-part keys starting with a.
	Key(parts ...string) string
}

// Store errors (wrapped by implementations).
var (
	ErrNotFound = errors.New("account store: key not found")
	ErrExists   = errors.New("account store: key exists")
	ErrConflict = errors.New("account store: revision moved")
)

// Buckets.
const (
	bucketAccounts = "accounts"  // user.<id> → accountRecord; email.<email> → emailRecord
	bucketSessions = "sessions"  // <user>.<session> → sessionRecord
	bucketGuard    = "userguard" // <user> → guardRecord (any user id, liveroom account or not)
)

// getJSON reads a record; ErrNotFound (wrapped) when missing.
func getJSON[T any](ctx context.Context, s Store, bucket, key string) (*T, uint64, error) {
	data, rev, err := s.Get(ctx, bucket, key)
	if err != nil {
		return nil, 0, err
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, 0, fmt.Errorf("account store: %s/%s is not a valid record: %w", bucket, key, err)
	}
	return v, rev, nil
}

func encode(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("account: encode %T: %v", v, err)) // records are plain structs
	}
	return data
}

// updateJSON applies change to a record with compare-and-set, re-reading
// and re-applying on a conflict (at most a few times). change returns
// false to leave the record as it is. The final record is returned.
func updateJSON[T any](ctx context.Context, s Store, bucket, key string, change func(*T) (bool, error)) (*T, error) {
	for attempt := 0; ; attempt++ {
		rec, rev, err := getJSON[T](ctx, s, bucket, key)
		if err != nil {
			return nil, err
		}
		write, err := change(rec)
		if err != nil || !write {
			return rec, err
		}
		_, err = s.Update(ctx, bucket, key, encode(rec), rev)
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, ErrConflict) || attempt == maxCASAttempts {
			return nil, err
		}
	}
}

// maxCASAttempts bounds re-reads when writers keep racing on one record.
const maxCASAttempts = 4
