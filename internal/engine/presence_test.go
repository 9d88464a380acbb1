package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A channel's presence list is read in batches; entries re-put while it
// is being read move to later sequences and are met again. Each is still
// counted once, and listed once, however the re-puts fall.
func TestPresenceListCountsEachEntryOnceWhileEntriesAreReput(t *testing.T) {
	const entries = 3*scanBatch + 17
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.EnsurePresence(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	ch := Ref("room", "room:many")
	put := func(i int) error {
		return e.PresencePut(ctx, ch, fmt.Sprint("client-", i), fmt.Sprint("user-", i), []byte{byte(i)})
	}
	for i := range entries {
		if err := put(i); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { // re-put every entry, over and over, while the lists run
		for i := 0; ; i = (i + 1) % entries {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := put(i); err != nil {
				done <- err
				return
			}
		}
	}()
	for scan := range 20 {
		list, total, err := e.PresenceList(ctx, ch, -1)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, p := range list {
			if seen[p.Client] {
				t.Fatalf("scan %d: client %s listed twice", scan, p.Client)
			}
			seen[p.Client] = true
		}
		if total != entries || len(list) != entries {
			t.Fatalf("scan %d: total %d, listed %d; want %d each", scan, total, len(list), entries)
		}
		capped, ctotal, err := e.PresenceList(ctx, ch, 10)
		if err != nil || len(capped) != 10 || ctotal != entries {
			t.Fatalf("scan %d capped at 10: listed %d, total %d, %v; want 10 of %d", scan, len(capped), ctotal, err, entries)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
