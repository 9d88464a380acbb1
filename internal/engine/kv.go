package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Key-value errors, returned wrapped.
var (
	// ErrKeyNotFound: the key has no value (never set, or deleted).
	ErrKeyNotFound = errors.New("engine: key not found")
	// ErrKeyExists: Create found a value already there.
	ErrKeyExists = errors.New("engine: key exists")
	// ErrRevisionMoved: Update's expected revision is no longer the key's
	// latest; re-read and decide again.
	ErrRevisionMoved = errors.New("engine: key revision moved")
	// ErrBadKey: the key has characters JetStream keys may not hold.
	ErrBadKey = errors.New("engine: invalid key")
)

// kvReadRetryFor bounds how long a read waits for a bucket whose stream
// has no leader yet.
const kvReadRetryFor = 15 * time.Second

// KVEntry is a key's latest value and its revision (the bucket stream's
// sequence of the write, which only grows).
type KVEntry struct {
	Value    []byte
	Revision uint64
}

// kvBuckets caches opened buckets by name.
type kvBuckets struct {
	mu sync.Mutex // guards m
	m  map[string]jetstream.KeyValue
}

// kvBucketPrefix names liveroom's buckets: lr_kv_<bucket>.
const kvBucketPrefix = "lr_kv_"

// kvStreamPrefix is what JetStream puts before a bucket's name to name its
// stream.
const kvStreamPrefix = "KV_"

// bucket opens (creating on first use) a file-backed bucket that keeps
// only each key's latest value, replicated like the namespace streams.
// Bucket names are chosen by liveroom's code (letters, digits, '_', '-').
func (e *Engine) bucket(ctx context.Context, name string) (jetstream.KeyValue, error) {
	e.kv.mu.Lock()
	defer e.kv.mu.Unlock()
	if kv := e.kv.m[name]; kv != nil {
		return kv, nil
	}
	full := kvBucketPrefix + name
	var kv jetstream.KeyValue
	var err error
	// In a cluster that is still forming (or an edge whose core is not yet
	// reachable) opening fails for a while: retry until ctx ends, as for
	// streams.
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout(attempt))
		kv, err = e.openBucket(actx, full, name)
		cancel()
		if err == nil || !retryableEnsure(err) || ctx.Err() != nil {
			break
		}
		e.log.Debug("bucket not ready yet; retrying", "bucket", full, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("engine: open bucket %s: %w", name, err)
	}
	if e.kv.m == nil {
		e.kv.m = make(map[string]jetstream.KeyValue)
	}
	e.kv.m[name] = kv
	return kv, nil
}

func (e *Engine) openBucket(ctx context.Context, full, name string) (jetstream.KeyValue, error) {
	kv, err := e.js.KeyValue(ctx, full)
	if errors.Is(err, jetstream.ErrBucketNotFound) && e.cfg.Edge == "" {
		kv, err = e.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      full,
			Description: "liveroom state: " + name,
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    e.cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = e.js.KeyValue(ctx, full) // another node created it first
		}
	}
	return kv, err
}

func kvErr(op, bucket, key string, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		err = ErrKeyNotFound
	// checked first: a revision mismatch also matches ErrKeyExists by code
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		err = fmt.Errorf("%w: %w", ErrRevisionMoved, err)
	case errors.Is(err, jetstream.ErrKeyExists):
		err = fmt.Errorf("%w: %w", ErrKeyExists, err)
	case errors.Is(err, jetstream.ErrInvalidKey):
		err = fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return fmt.Errorf("engine: %s %s/%s: %w", op, bucket, key, err)
}

// KVGet returns the key's latest value; ErrKeyNotFound when it has none.
func (e *Engine) KVGet(ctx context.Context, bucket, key string) (KVEntry, error) {
	if err := checkSubject("kv get "+bucket, e.kvSubject(bucket, key)); err != nil {
		return KVEntry{}, err
	}
	kv, err := e.bucket(ctx, bucket)
	if err != nil {
		return KVEntry{}, err
	}
	ent, err := kv.Get(ctx, key)
	// A read is safe to repeat: while the bucket's stream elects a leader
	// (a forming cluster, a node just lost) retry for a bounded time.
	deadline := time.Now().Add(kvReadRetryFor)
	for attempt := 0; err != nil && retryable(err) && ctx.Err() == nil && time.Now().Before(deadline); attempt++ {
		if werr := sleepCtx(ctx, retryWait(attempt)); werr != nil {
			break
		}
		ent, err = kv.Get(ctx, key)
	}
	if err != nil {
		return KVEntry{}, kvErr("get", bucket, key, err)
	}
	return KVEntry{Value: ent.Value(), Revision: ent.Revision()}, nil
}

// KVCreate sets the key only if it has no value; ErrKeyExists otherwise.
func (e *Engine) KVCreate(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	return e.kvWrite(ctx, "create", bucket, key, func(kv jetstream.KeyValue) (uint64, error) {
		return kv.Create(ctx, key, value)
	})
}

// KVUpdate sets the key only if its latest revision is still revision;
// ErrRevisionMoved otherwise (compare-and-set).
func (e *Engine) KVUpdate(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error) {
	return e.kvWrite(ctx, "update", bucket, key, func(kv jetstream.KeyValue) (uint64, error) {
		return kv.Update(ctx, key, value, revision)
	})
}

// KVPut sets the key unconditionally.
func (e *Engine) KVPut(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	return e.kvWrite(ctx, "put", bucket, key, func(kv jetstream.KeyValue) (uint64, error) {
		return kv.Put(ctx, key, value)
	})
}

// KVDelete removes the key's value (a delete marker; Get then reports
// ErrKeyNotFound). Deleting a missing key is not an error.
func (e *Engine) KVDelete(ctx context.Context, bucket, key string) error {
	_, err := e.kvWrite(ctx, "delete", bucket, key, func(kv jetstream.KeyValue) (uint64, error) {
		return 0, kv.Delete(ctx, key)
	})
	return err
}

// kvWrite runs one write to a bucket: refused at once when the bucket's
// store is known to have failed (ErrStoreFailed, as is), its other errors
// mapped by kvErr.
func (e *Engine) kvWrite(ctx context.Context, op, bucket, key string, write func(jetstream.KeyValue) (uint64, error)) (uint64, error) {
	if err := checkSubject("kv "+op+" "+bucket, e.kvSubject(bucket, key)); err != nil {
		return 0, err
	}
	kv, err := e.bucket(ctx, bucket)
	if err != nil {
		return 0, err
	}
	var rev uint64
	err = e.storeWrite(bucketLabel(bucket), kvStreamPrefix+kvBucketPrefix+bucket, func() (werr error) {
		rev, werr = write(kv)
		return werr
	})
	switch {
	case errors.Is(err, ErrStoreFailed):
		return 0, err
	case err != nil:
		return 0, kvErr(op, bucket, key, err)
	}
	return rev, nil
}

// KVKeys lists the keys with a value that match a NATS subject filter
// ("user.alice.>", "*"), at most limit of them (limit ≤ 0: all).
func (e *Engine) KVKeys(ctx context.Context, bucket, filter string, limit int) ([]string, error) {
	if err := checkSubject("kv keys "+bucket, e.kvSubject(bucket, filter)); err != nil {
		return nil, err
	}
	kv, err := e.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	lister, err := kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, kvErr("list", bucket, filter, err)
	}
	defer func() { _ = lister.Stop() }()
	var keys []string
	for k := range lister.Keys() {
		if limit > 0 && len(keys) >= limit {
			break
		}
		keys = append(keys, k)
	}
	return keys, nil
}
