package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// A deleted connection record leaves nothing behind in the stream: the
// user's later counts read only live records, however many connections
// the user opened and closed within the TTL.
func TestConnectionDeleteLeavesNothingToScan(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.EnsurePresence(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := e.ConnectionPut(ctx, "ann", fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 48 {
		if err := e.ConnectionDelete(ctx, "ann", fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.ConnectionDelete(ctx, "ann", "never-put"); err != nil {
		t.Fatalf("deleting a record that is not there: %v", err)
	}
	if n, err := e.ConnectionCount(ctx, "ann"); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	// All of these records are this node's own: they are left to the
	// caller's exact count.
	if n, err := e.ConnectionsElsewhereBefore(ctx, "ann", "c49"); err != nil || n != 0 {
		t.Fatalf("elsewhere before c49 = %d, %v; want 0", n, err)
	}
	// Records of another node (instance) count when written before the
	// connection's own, never after.
	other := secondEngineOnSameServer(t, e)
	other.instToken = "other"
	if err := other.ConnectionPut(ctx, "ann", "o1"); err != nil {
		t.Fatal(err)
	}
	if err := e.ConnectionPut(ctx, "ann", "mine"); err != nil {
		t.Fatal(err)
	}
	if err := other.ConnectionPut(ctx, "ann", "o2"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.ConnectionsElsewhereBefore(ctx, "ann", "mine"); err != nil || n != 1 {
		t.Fatalf("elsewhere before mine = %d, %v; want 1 (o1)", n, err)
	}
	if err := e.ConnectionDelete(ctx, "ann", "mine"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"o1", "o2"} {
		if err := other.ConnectionDelete(ctx, "ann", c); err != nil {
			t.Fatal(err)
		}
	}
	// Every message the scan reads, tombstones included.
	read := 0
	if err := e.scanLatest(ctx, subjectConns+">", func(*nats.Msg) { read++ }); err != nil {
		t.Fatal(err)
	}
	info, err := e.js.Stream(ctx, presenceStream)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := info.CachedInfo().State.Msgs; read != 2 || msgs != 2 {
		t.Fatalf("the stream holds %d messages (%d live); want only the 2 live records", msgs, read)
	}
}
