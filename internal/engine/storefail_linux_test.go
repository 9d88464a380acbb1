//go:build linux

package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit/fslimit"
)

// A stream whose file store hits a write error stays failed in the embedded
// server until it restarts, and the server drops the writes it cannot store
// without answering them. The engine must say so rather than let every
// publish wait out its deadline: a publish fails with ErrStoreFailed (at
// once, once the failure is known), readiness fails naming the stream, and
// other namespaces keep working.
//
// The write error is real: the process's file-size limit (RLIMIT_FSIZE)
// is lowered just above the store's largest file, so the message block's
// next flush fails with EFBIG, as a full disk fails with ENOSPC. The
// limit is process-wide, so this test does not run in parallel with
// others; the Go runtime ignores the SIGXFSZ that comes with EFBIG.
func TestStoreWriteErrorFailsPublishesAndReadiness(t *testing.T) {
	dir := t.TempDir()
	e := startEngine(t, dir)
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 1000})
	ensure(t, e, NamespaceSpec{Namespace: "other", HistorySize: 1000})
	ctx := context.Background()
	if _, err := e.KVPut(ctx, "profiles", "user.a", []byte(`{}`)); err != nil {
		t.Fatalf("key-value write before the limit: %v", err)
	}
	room, other := Ref("room", "room:a"), Ref("other", "other:a")
	for _, ch := range []ChannelRef{room, other} {
		if _, err := e.Publish(ctx, ch, []byte(`{"n":0}`), ""); err != nil {
			t.Fatalf("publish before the limit: %v", err)
		}
	}
	if err := e.Healthy(ctx); err != nil {
		t.Fatalf("healthy before the limit: %v", err)
	}

	restore := fslimit.Lower(t, dir, 16<<10)

	// Publish 4 KiB publications until the store fails: the first few fit
	// under the limit, the flush past it fails.
	body := []byte(`{"pad":"` + strings.Repeat("x", 4<<10) + `"}`)
	var failure error
	for i := 0; i < 200 && failure == nil; i++ {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := e.Publish(pctx, room, body, "")
		cancel()
		if err != nil {
			failure = err
		}
	}
	if !errors.Is(failure, ErrStoreFailed) {
		t.Fatalf("publishing past the file-size limit ended with %v; want ErrStoreFailed", failure)
	}
	// A key-value bucket is a stream too: written past the limit, its
	// writes are refused the same way.
	failure = nil
	for i := 0; i < 200 && failure == nil; i++ {
		kctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := e.KVPut(kctx, "profiles", "user.a", body)
		cancel()
		failure = err
	}
	if !errors.Is(failure, ErrStoreFailed) || !strings.Contains(failure.Error(), `key-value bucket "profiles"`) {
		t.Fatalf("key-value writes past the file-size limit ended with %v; want ErrStoreFailed naming the bucket", failure)
	}
	restore()
	kctx, kcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := e.KVCreate(kctx, "profiles", "user.b", []byte(`{}`))
	kcancel()
	if !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("key-value write after the failure: %v; want ErrStoreFailed at once", err)
	}

	// Known now: the next publish is refused without a round trip, so even
	// a short deadline gets the store's error, not a timeout.
	pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = e.Publish(pctx, room, []byte(`{"n":1}`), "")
	cancel()
	if !errors.Is(err, ErrStoreFailed) || !strings.Contains(err.Error(), `"room"`) {
		t.Fatalf("publish after the failure: %v; want ErrStoreFailed naming the namespace", err)
	}
	herr := e.Healthy(ctx)
	if !errors.Is(herr, ErrStoreFailed) || !strings.Contains(herr.Error(), "restart") {
		t.Fatalf("readiness after the failure: %v; want ErrStoreFailed telling to restart", herr)
	}
	if failed := e.StoreFailures(false); len(failed) != 2 || failed["lr_ns_room"] == "" || failed["KV_lr_kv_profiles"] == "" {
		t.Fatalf("failed streams %v; want the room namespace's and the profiles bucket's", failed)
	}
	if !strings.Contains(herr.Error(), `namespace "room"`) || !strings.Contains(herr.Error(), `key-value bucket "profiles"`) {
		t.Fatalf("readiness %q does not say what failed", herr)
	}
	// Another namespace's stream is unaffected.
	if _, err := e.Publish(ctx, other, []byte(`{"n":1}`), ""); err != nil {
		t.Fatalf("publish to another namespace: %v", err)
	}
}

func TestFailureCauseDropsThePath(t *testing.T) {
	for in, want := range map[string]string{
		"JetStream stream '$G > lr_ns_room' write error: write /data/x/1.blk: no space left on device": "no space left on device",
		"no colon":    "no colon",
		"ends with: ": "ends with: ",
	} {
		if got := failureCause(in); got != want {
			t.Errorf("failureCause(%q) = %q; want %q", in, got, want)
		}
	}
}
