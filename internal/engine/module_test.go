package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestAppendRefusesWhenOffsetMoved(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	ctx := context.Background()
	ch := Ref("room", "room:append")

	if _, err := e.Append(ctx, ch, []byte("a"), 1); !errors.Is(err, ErrOffsetMoved) {
		t.Fatalf("append expecting offset 1 on an empty channel: err = %v; want ErrOffsetMoved", err)
	}
	res, err := e.Append(ctx, ch, []byte("a"), 0)
	if err != nil || res.Offset != 1 {
		t.Fatalf("append on empty channel = %+v, %v; want offset 1", res, err)
	}
	// Another writer (a second connection, like another node) moves the
	// channel on; this engine's cached top is now stale.
	other := secondEngineOnSameServer(t, e)
	if _, err := other.Publish(ctx, ch, []byte("b"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Append(ctx, ch, []byte("c"), 1); !errors.Is(err, ErrOffsetMoved) {
		t.Fatalf("append expecting 1 after another writer stored 2: err = %v; want ErrOffsetMoved", err)
	}
	res, err = e.Append(ctx, ch, []byte("c"), 2)
	if err != nil || res.Offset != 3 {
		t.Fatalf("append expecting 2 = %+v, %v; want offset 3", res, err)
	}
}

// Many appenders race on one expected offset: exactly one wins each round.
func TestAppendConcurrentExactlyOneWins(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	other := secondEngineOnSameServer(t, e)
	ctx := context.Background()
	ch := Ref("room", "room:race")
	for round := uint64(0); round < 5; round++ {
		var wins, moved atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			eng := e
			if i%2 == 1 {
				eng = other
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := eng.Append(ctx, ch, []byte{byte(i)}, round)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, ErrOffsetMoved):
					moved.Add(1)
				default:
					t.Errorf("append: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || moved.Load() != 7 {
			t.Fatalf("round %d: %d appends won and %d saw the offset move; want 1 and 7", round, wins.Load(), moved.Load())
		}
	}
}

func TestKVCompareAndSet(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ctx := context.Background()

	if _, err := e.KVGet(ctx, "accounts", "user.alice"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("get of a missing key: %v; want ErrKeyNotFound", err)
	}
	rev, err := e.KVCreate(ctx, "accounts", "user.alice", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.KVCreate(ctx, "accounts", "user.alice", []byte("again")); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second create: %v; want ErrKeyExists", err)
	}
	rev2, err := e.KVUpdate(ctx, "accounts", "user.alice", []byte("v2"), rev)
	if err != nil || rev2 <= rev {
		t.Fatalf("update at the current revision = %d, %v; want a newer revision", rev2, err)
	}
	if _, err := e.KVUpdate(ctx, "accounts", "user.alice", []byte("stale"), rev); !errors.Is(err, ErrRevisionMoved) {
		t.Fatalf("update at a stale revision: %v; want ErrRevisionMoved", err)
	}
	got, err := e.KVGet(ctx, "accounts", "user.alice")
	if err != nil || string(got.Value) != "v2" || got.Revision != rev2 {
		t.Fatalf("get = %q rev %d, %v; want v2 rev %d", got.Value, got.Revision, err, rev2)
	}
	if _, err := e.KVPut(ctx, "accounts", "user.bob", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.KVPut(ctx, "accounts", "session.x", []byte("s")); err != nil {
		t.Fatal(err)
	}
	keys, err := e.KVKeys(ctx, "accounts", "user.>", 0)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys user.> = %v, %v; want the two user keys", keys, err)
	}
	if err := e.KVDelete(ctx, "accounts", "user.bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.KVGet(ctx, "accounts", "user.bob"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("get after delete: %v; want ErrKeyNotFound", err)
	}
	if _, err := e.KVCreate(ctx, "accounts", "user.bob", []byte("again")); err != nil {
		t.Fatalf("create after delete: %v; want success", err)
	}
	if _, err := e.KVPut(ctx, "accounts", "bad key", []byte("x")); !errors.Is(err, ErrBadKey) {
		t.Fatalf("put with a space in the key: %v; want ErrBadKey", err)
	}
}

func TestAppendOnlyNamespaceRefusesDeleteAndPurge(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "audit", HistorySize: 1000, AppendOnly: true})
	ctx := context.Background()
	res, err := e.Publish(ctx, Ref("audit", "audit:room1"), []byte("ban alice"), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.js.Stream(ctx, streamName("audit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(ctx, res.Seq); err == nil {
		t.Fatal("deleting an audit entry succeeded; the stream must refuse it")
	}
	if err := st.Purge(ctx); err == nil {
		t.Fatal("purging the audit stream succeeded; the stream must refuse it")
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(Ref("audit", "audit:room1").inSubject())); err == nil {
		t.Fatal("purging one channel of the audit stream succeeded; the stream must refuse it")
	}
	w, err := e.ReadAfter(ctx, Ref("audit", "audit:room1"), 0, -1, time.Now())
	if err != nil || len(w.Pubs) != 1 || string(w.Pubs[0].Body) != "ban alice" {
		t.Fatalf("audit history after refused delete and purges = %+v, %v; want the one entry", w.Pubs, err)
	}
	if on, err := e.AppendOnly(ctx, "audit"); err != nil || !on {
		t.Fatalf("AppendOnly(audit) = %v, %v; want true", on, err)
	}
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 10})
	if on, err := e.AppendOnly(ctx, "room"); err != nil || on {
		t.Fatalf("AppendOnly(room) = %v, %v; want false", on, err)
	}
}
