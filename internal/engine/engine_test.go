package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func startEngine(t *testing.T, dir string) *Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := Start(ctx, Config{DataDir: dir, NodeName: "test"})
	if err != nil {
		t.Fatalf("start engine: %v", err)
	}
	return e
}

func closeEngine(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Close(ctx); err != nil {
		t.Errorf("close engine: %v", err)
	}
}

func ensure(t *testing.T, e *Engine, spec NamespaceSpec) {
	t.Helper()
	if err := e.EnsureNamespace(context.Background(), spec); err != nil {
		t.Fatalf("ensure namespace: %v", err)
	}
}

func TestPublishAssignsContiguousOffsets(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	ctx := context.Background()
	a, b := Ref("room", "room:a"), Ref("room", "room:b.with*odd>chars")

	top, err := e.ChannelTop(ctx, a)
	if err != nil || top.Offset != 0 || top.Epoch == "" {
		t.Fatalf("top of a never-published channel = %+v, %v; want offset 0 and an epoch", top, err)
	}
	for i := 1; i <= 5; i++ {
		for _, ch := range []ChannelRef{a, b} {
			res, err := e.Publish(ctx, ch, []byte(fmt.Sprintf("%s-%d", ch.Name, i)), "")
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			if res.Offset != uint64(i) || res.Epoch != top.Epoch {
				t.Fatalf("publish %d to %s got offset %d epoch %q; want %d %q", i, ch.Name, res.Offset, res.Epoch, i, top.Epoch)
			}
		}
	}
	w, err := e.ReadAfter(ctx, b, 2, -1, time.Now())
	if err != nil {
		t.Fatalf("read after: %v", err)
	}
	if len(w.Pubs) != 3 || w.First != 1 || w.Top != 5 {
		t.Fatalf("window = first %d top %d, %d pubs; want 1, 5, 3", w.First, w.Top, len(w.Pubs))
	}
	for i, p := range w.Pubs {
		if want := fmt.Sprintf("%s-%d", b.Name, i+3); string(p.Body) != want || p.Offset != uint64(i+3) {
			t.Fatalf("pub %d = %q offset %d; want %q offset %d", i, p.Body, p.Offset, want, i+3)
		}
	}
}

func TestHistorySizeTrimsAndRecoveryReportsGap(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 3})
	ctx := context.Background()
	ch := Ref("room", "room:trim")
	for i := 0; i < 10; i++ {
		if _, err := e.Publish(ctx, ch, []byte("x"), ""); err != nil {
			t.Fatal(err)
		}
	}
	w, err := e.ReadAfter(ctx, ch, 7, -1, time.Now())
	if err != nil || len(w.Pubs) != 3 || w.First != 8 {
		t.Fatalf("after 7: %d pubs first %d err %v; want 3 pubs from 8", len(w.Pubs), w.First, err)
	}
	w, err = e.ReadAfter(ctx, ch, 6, -1, time.Now())
	if !errors.Is(err, ErrUnrecoverable) || len(w.Pubs) != 0 {
		t.Fatalf("after 6 (trimmed): err %v, %d pubs; want ErrUnrecoverable and none", err, len(w.Pubs))
	}
	w, err = e.ReadAfter(ctx, ch, 10, -1, time.Now())
	if err != nil || len(w.Pubs) != 0 {
		t.Fatalf("after top: err %v, %d pubs; want nothing", err, len(w.Pubs))
	}
}

func TestHistoryTTLHidesOldButKeepsTopOffset(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 10, HistoryTTL: time.Minute})
	ctx := context.Background()
	ch := Ref("room", "room:ttl")
	for i := 0; i < 3; i++ {
		if _, err := e.Publish(ctx, ch, []byte("x"), ""); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(2 * time.Minute)
	if _, err := e.ReadAfter(ctx, ch, 1, -1, later); !errors.Is(err, ErrUnrecoverable) {
		t.Fatalf("recovery past the TTL: err %v; want ErrUnrecoverable", err)
	}
	res, err := e.Publish(ctx, ch, []byte("y"), "")
	if err != nil || res.Offset != 4 {
		t.Fatalf("publish after expiry got offset %d err %v; want 4 (offsets never restart)", res.Offset, err)
	}
}

func TestIdempotentPublishStoresOnce(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	ctx := context.Background()
	ch := Ref("room", "room:idem")
	first, err := e.Publish(ctx, ch, []byte("a"), "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Publish(ctx, ch, []byte("b"), ""); err != nil {
		t.Fatal(err)
	}
	again, err := e.Publish(ctx, ch, []byte("a"), "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Offset != first.Offset {
		t.Fatalf("retry = %+v; want duplicate with offset %d", again, first.Offset)
	}
	top, _ := e.ChannelTop(ctx, ch)
	if top.Offset != 2 {
		t.Fatalf("top = %d; want 2 (the retry stored nothing)", top.Offset)
	}
}

// Two writers that do not share a cache (as two nodes would) must still
// produce contiguous offsets: the expected-sequence check makes the loser
// re-read and retry.
func TestConcurrentWritersFromTwoConnections(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 1000})
	other := secondEngineOnSameServer(t, e)
	ch := Ref("room", "room:race")
	const perWriter = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*perWriter)
	for _, eng := range []*Engine{e, other} {
		wg.Add(1)
		go func(eng *Engine) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				if _, err := eng.Publish(context.Background(), ch, []byte("x"), ""); err != nil {
					errs <- err
				}
			}
		}(eng)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
	w, err := e.ReadAfter(context.Background(), ch, 0, -1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Pubs) != 2*perWriter {
		t.Fatalf("stored %d; want %d", len(w.Pubs), 2*perWriter)
	}
	for i, p := range w.Pubs {
		if p.Offset != uint64(i+1) {
			t.Fatalf("pub %d has offset %d; offsets must be contiguous", i, p.Offset)
		}
	}
}

func secondEngineOnSameServer(t *testing.T, e *Engine) *Engine {
	t.Helper()
	o := &Engine{cfg: e.cfg, log: e.log, writers: newWriterTable(), streams: map[string]*nsStream{}, stop: make(chan struct{})}
	nc, err := nats.Connect("", nats.InProcessServer(e.srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	o.nc = nc
	o.js = e.js
	o.directGet = e.directGet
	o.apiPrefix = e.apiPrefix
	e.mu.Lock()
	for k, v := range e.streams {
		o.streams[k] = v
	}
	e.mu.Unlock()
	return o
}

func TestDeliveriesArriveInOrderWithBackLinks(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	ctx := context.Background()
	ch := Ref("room", "room:live")
	got := make(chan Delivery, 100)
	sub, err := e.Deliveries(ctx, ch, func(d Delivery) { got <- d })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	for i := 0; i < 20; i++ {
		if _, err := e.Publish(ctx, ch, []byte{byte(i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	var prevSeq uint64
	for i := 0; i < 20; i++ {
		select {
		case d := <-got:
			if d.Offset != uint64(i+1) || d.PrevSeq != prevSeq || d.Body[0] != byte(i) {
				t.Fatalf("delivery %d = offset %d prev %d; want offset %d prev %d", i, d.Offset, d.PrevSeq, i+1, prevSeq)
			}
			prevSeq = d.Seq
		case <-time.After(5 * time.Second):
			t.Fatalf("delivery %d did not arrive", i)
		}
	}
}

func TestOffsetsAndEpochSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	e := startEngine(t, dir)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	ch := Ref("room", "room:persist")
	var epoch string
	for i := 0; i < 7; i++ {
		res, err := e.Publish(context.Background(), ch, []byte("x"), "")
		if err != nil {
			t.Fatal(err)
		}
		epoch = res.Epoch
	}
	closeEngine(t, e)

	e = startEngine(t, dir)
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 100})
	top, err := e.ChannelTop(context.Background(), ch)
	if err != nil || top.Offset != 7 || top.Epoch != epoch {
		t.Fatalf("after restart top = %+v err %v; want offset 7 epoch %q", top, err, epoch)
	}
	res, err := e.Publish(context.Background(), ch, []byte("x"), "")
	if err != nil || res.Offset != 8 {
		t.Fatalf("publish after restart: offset %d err %v; want 8", res.Offset, err)
	}
}

func TestEpochChangesWhenHistoryIsLost(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 10})
	before, _ := e.Epoch("room")
	if err := e.js.DeleteStream(context.Background(), streamName("room")); err != nil {
		t.Fatal(err)
	}
	// Creation times have nanosecond resolution; make sure the clock moved.
	// The loop ends at the first new epoch; the deadline only bounds a
	// server slow to finish the delete (under -race on a busy machine).
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 10})
		if after, _ := e.Epoch("room"); after != before {
			return
		}
		_ = e.js.DeleteStream(context.Background(), streamName("room"))
	}
	t.Fatalf("epoch stayed %q after the stream was deleted and recreated", before)
}

// TestOverlongSubjectsAreRefusedBeforeTheBus: a name that would make a
// subject over the NATS protocol line limit is refused with ErrNameTooLong
// by every kind of operation, and the connection stays up; a subject sent
// past the guard closes the connection for good, which ConnectionLost
// reports.
func TestOverlongSubjectsAreRefusedBeforeTheBus(t *testing.T) {
	ctx := context.Background()
	e := startEngine(t, t.TempDir())
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 10})
	long := strings.Repeat("x", 5000)
	checks := map[string]error{}
	_, checks["publish"] = e.Publish(ctx, Ref("room", long), []byte("{}"), "")
	checks["presence put"] = e.PresencePut(ctx, Ref("room", "r"), "c1", long, nil)
	checks["connection put"] = e.ConnectionPut(ctx, long, "c1")
	_, checks["kv get"] = e.KVGet(ctx, "profiles", long)
	_, checks["kv put"] = e.KVPut(ctx, "profiles", long, []byte("{}"))
	checks["broadcast"] = e.Broadcast("user."+long, nil)
	for what, err := range checks {
		if !errors.Is(err, ErrNameTooLong) {
			t.Errorf("%s with a 5,000-byte name: %v; want ErrNameTooLong", what, err)
		}
	}
	if err := e.ConnectionLost(); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
	if _, err := e.Publish(ctx, Ref("room", "fine"), []byte("{}"), ""); err != nil {
		t.Fatalf("publish after the refusals: %v", err)
	}

	// Past the guard, the server closes the connection and nats.go does not
	// reconnect: the engine must say so.
	if err := e.nc.Publish(strings.Repeat("y", 5000), nil); err != nil {
		t.Fatalf("raw publish: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.ConnectionLost() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the connection is %s; want it closed and reported by ConnectionLost", e.nc.Status())
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	t.Logf("reported: %v", e.ConnectionLost())
}
