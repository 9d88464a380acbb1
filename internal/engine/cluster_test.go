package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func shardOf(d *dispatcher, subject string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(subject))
	return int(h.Sum32() % uint32(len(d.shards)))
}

// Readiness fails with the reason when the link is up but deliveries no
// longer reach this node: here the dispatch shard that carries the probe
// is stuck behind a callback that does not return.
func TestHealthyFailsWhenDeliveriesStop(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ctx := context.Background()
	if err := e.EnsureProbe(ctx); err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := e.Healthy(hctx)
	cancel()
	if err != nil {
		t.Fatalf("healthy engine: %v", err)
	}
	// Find a subject on the probe's shard and block that shard.
	target := shardOf(e.dispatch, subjectProbeOut+e.instToken)
	var blocker string
	for i := 0; ; i++ {
		blocker = fmt.Sprintf("test.block.%d", i)
		if shardOf(e.dispatch, blocker) == target {
			break
		}
	}
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	entered := make(chan struct{}, 1)
	sub, err := e.dispatch.subscribe(e.nc, blocker, func(*nats.Msg) {
		entered <- struct{}{}
		<-release
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.dispatch.unsubscribe(sub)
	if err := e.nc.Publish(blocker, nil); err != nil {
		t.Fatal(err)
	}
	<-entered
	hctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
	err = e.Healthy(hctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "deliveries have stopped") {
		t.Fatalf("Healthy with a stuck delivery shard = %v; want the deliveries-stopped reason", err)
	}
	unblock()
	hctx, cancel = context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := e.Healthy(hctx); err != nil {
		t.Fatalf("healthy again after the shard moved on: %v", err)
	}
}

// Two nodes reaping the same gone run at once: every entry of that run is
// removed and reported exactly once (by one of them), the run's connection
// records are gone, and other runs' entries stay.
func TestReapInstanceReportsEachEntryOnce(t *testing.T) {
	gone := startEngine(t, t.TempDir())
	defer closeEngine(t, gone)
	ctx := context.Background()
	if err := gone.EnsurePresence(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	stays := secondEngineOnSameServer(t, gone)
	stays.instToken = "stays"
	reaperB := secondEngineOnSameServer(t, gone)
	reaperB.instToken = "reaper-b"
	chans := []ChannelRef{Ref("room", "room:a"), Ref("room", "room:b.odd*name")}
	want := 0
	for _, ch := range chans {
		for i := range 20 {
			client := fmt.Sprintf("c%d", i)
			if err := gone.PresencePut(ctx, ch, client, "u"+client, []byte(client)); err != nil {
				t.Fatal(err)
			}
			want++
		}
		if err := stays.PresencePut(ctx, ch, "kept", "ukept", []byte("kept")); err != nil {
			t.Fatal(err)
		}
	}
	if err := gone.ConnectionPut(ctx, "u1", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := stays.ConnectionPut(ctx, "u1", "kept"); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	totals := make([]int, 2)
	errs := make([]error, 2)
	for i, r := range []*Engine{stays, reaperB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			totals[i], errs[i] = r.ReapInstance(ctx, gone.cfg.Instance, func(g ReapedEntry) {
				mu.Lock()
				seen[g.Channel+"/"+g.Client]++
				mu.Unlock()
				if string(g.Info) != g.Client || g.User != "u"+g.Client || g.Namespace != "room" {
					t.Errorf("reaped entry %+v does not match what was put", g)
				}
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if totals[0]+totals[1] != want || len(seen) != want {
		t.Fatalf("reapers removed %d + %d entries, %d distinct; want %d", totals[0], totals[1], len(seen), want)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("entry %s reported %d times", k, n)
		}
	}
	for _, ch := range chans {
		entries, total, err := stays.PresenceList(ctx, ch, -1)
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || entries[0].Client != "kept" {
			t.Fatalf("presence of %s after the reap = %+v; want only the other run's entry", ch.Name, entries)
		}
	}
	if n, err := stays.ConnectionCount(ctx, "u1"); err != nil || n != 1 {
		t.Fatalf("connections of u1 after the reap = %d, %v; want 1 (the other run's)", n, err)
	}
	// A second reap finds nothing.
	if n, err := reaperB.ReapInstance(ctx, gone.cfg.Instance, func(ReapedEntry) {}); err != nil || n != 0 {
		t.Fatalf("second reap = %d, %v; want 0", n, err)
	}
}

// LeaderTop answers what ChannelTop answers on a single node: the top
// offset and sequence, and offset 0 for a channel never published to.
func TestLeaderTopMatchesChannelTop(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 10})
	ctx := context.Background()
	ch := Ref("room", "room:top.odd*name")
	if top, err := e.LeaderTop(ctx, ch); err != nil || top.Offset != 0 || top.Epoch == "" {
		t.Fatalf("leader top of an empty channel = %+v, %v", top, err)
	}
	for i := 0; i < 12; i++ {
		if _, err := e.Publish(ctx, ch, []byte("x"), ""); err != nil {
			t.Fatal(err)
		}
	}
	want, err := e.ChannelTop(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.LeaderTop(ctx, ch)
	if err != nil || got != want || got.Offset != 12 {
		t.Fatalf("leader top = %+v, %v; want %+v (offset 12)", got, err, want)
	}
}
