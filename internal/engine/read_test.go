package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// fillInterleaved publishes n publications to ch with other channels'
// publications between them in an uneven pattern, so ch's messages sit at
// irregular stream sequences. It returns ch's publications as stored.
func fillInterleaved(t *testing.T, e *Engine, ch ChannelRef, n int) []StoredPub {
	t.Helper()
	ctx := context.Background()
	others := []ChannelRef{Ref(ch.Namespace, ch.Name+"-x"), Ref(ch.Namespace, ch.Name+"-y")}
	for i := 1; i <= n; i++ {
		if _, err := e.Publish(ctx, ch, []byte(fmt.Sprintf("%s-%d", ch.Name, i)), ""); err != nil {
			t.Fatalf("publish: %v", err)
		}
		for j := 0; j < (i*7)%5; j++ {
			if _, err := e.Publish(ctx, others[j%2], []byte("other"), ""); err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
	}
	w, err := e.ReadOldest(ctx, ch, -1, time.Now())
	if err != nil || len(w.Pubs) == 0 || w.Pubs[len(w.Pubs)-1].Offset != uint64(n) {
		t.Fatalf("read all of %s: %d pubs, %v; want up to offset %d", ch.Name, len(w.Pubs), err, n)
	}
	return w.Pubs
}

// scanFromOldest is the reference read: every stored message of the
// channel from the first, nothing skipped.
func scanFromOldest(t *testing.T, e *Engine, ch ChannelRef, after uint64, limit int, now time.Time, strict bool) (Window, error) {
	t.Helper()
	s, err := e.stream(ch.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	var cutoff time.Time
	if s.spec.HistoryTTL > 0 {
		cutoff = now.Add(-s.spec.HistoryTTL)
	}
	return e.scanWindow(context.Background(), s, ch, 1, after, limit, cutoff, strict, Window{Epoch: s.epoch})
}

func sameWindow(a, b Window) bool {
	return a.First == b.First && a.Epoch == b.Epoch &&
		slices.EqualFunc(a.Pubs, b.Pubs, func(x, y StoredPub) bool {
			return x.Offset == y.Offset && x.Seq == y.Seq && string(x.Body) == string(y.Body)
		})
}

func offsetsOf(w Window) []uint64 {
	out := make([]uint64, len(w.Pubs))
	for i, p := range w.Pubs {
		out[i] = p.Offset
	}
	return out
}

// A read that skips by seeking returns what a scan from the oldest message
// returns, at every position, with and without a limit, with and without
// an age cutoff hiding part of the channel.
func TestReadAfterSeekMatchesFullScan(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	const ttl = time.Hour
	ensure(t, e, NamespaceSpec{Namespace: "ttl", HistorySize: 1000, HistoryTTL: ttl})
	ch := Ref("ttl", "ttl:seek")
	const n = 120
	stored := fillInterleaved(t, e, ch, n)

	// now values putting the cutoff before everything, inside the channel
	// at a few places, and after everything.
	nows := []time.Time{time.Now()}
	for _, k := range []int{1, 30, n - 1} {
		nows = append(nows, stored[k].Time.Add(ttl))
	}
	nows = append(nows, stored[n-1].Time.Add(ttl+time.Second))

	var afters []uint64
	for a := uint64(0); a <= n+1; a++ {
		if a < 20 || a%11 == 0 || a > n-5 {
			afters = append(afters, a)
		}
	}
	ctx := context.Background()
	for _, now := range nows {
		for _, after := range afters {
			for _, limit := range []int{-1, 3} {
				got, gerr := e.ReadAfter(ctx, ch, after, limit, now)
				want, werr := scanFromOldest(t, e, ch, after, limit, now, true)
				if !errors.Is(gerr, werr) && gerr != werr || !sameWindow(got, want) {
					t.Fatalf("cutoff %v, after %d, limit %d: got first %d %v err %v; the full scan gives first %d %v err %v",
						now.Add(-ttl).Sub(stored[0].Time), after, limit, got.First, offsetsOf(got), gerr, want.First, offsetsOf(want), werr)
				}
				if gerr == nil && len(got.Pubs) > 0 && got.Top < got.Pubs[len(got.Pubs)-1].Offset {
					t.Fatalf("after %d: top %d below the last publication read", after, got.Top)
				}
			}
		}
		for _, limit := range []int{-1, 0, 5} {
			got, gerr := e.ReadOldest(ctx, ch, limit, now)
			want, werr := scanFromOldest(t, e, ch, 0, limit, now, false)
			if gerr != nil || werr != nil || !sameWindow(got, want) {
				t.Fatalf("oldest, limit %d: got first %d %v err %v; the full scan gives first %d %v err %v",
					limit, got.First, offsetsOf(got), gerr, want.First, offsetsOf(want), werr)
			}
		}
	}
}

// A read from a position deep in a channel costs about the logarithm of
// the stream's length plus what it returns, not the channel's length; a
// position history no longer keeps is refused without reading the
// channel.
func TestReadAfterSkipsWhatItDoesNotReturn(t *testing.T) {
	e := startEngine(t, t.TempDir())
	defer closeEngine(t, e)
	ensure(t, e, NamespaceSpec{Namespace: "room", HistorySize: 400})
	ch := Ref("room", "room:deep")
	const n = 500 // 100 trimmed
	fillInterleaved(t, e, ch, n)
	ctx := context.Background()

	cases := []struct {
		after     uint64
		wantFirst uint64
		wantPubs  int
		maxReads  uint64
		unrecov   bool
	}{
		{after: 490, wantFirst: 101, wantPubs: 10, maxReads: 50},
		{after: 300, wantFirst: 101, wantPubs: 200, maxReads: 240},
		{after: 100, wantFirst: 101, wantPubs: 400, maxReads: 410},
		{after: 99, wantFirst: 101, unrecov: true, maxReads: 2},
		{after: 500, wantFirst: 101, maxReads: 2},
	}
	for _, c := range cases {
		before := e.historyRead.Load()
		w, err := e.ReadAfter(ctx, ch, c.after, -1, time.Now())
		reads := e.historyRead.Load() - before
		if c.unrecov != errors.Is(err, ErrUnrecoverable) || (!c.unrecov && err != nil) {
			t.Fatalf("after %d: err %v; want unrecoverable %v", c.after, err, c.unrecov)
		}
		if w.First != c.wantFirst || len(w.Pubs) != c.wantPubs || (!c.unrecov && w.Top != n) {
			t.Fatalf("after %d: first %d top %d, %d pubs; want %d, %d, %d", c.after, w.First, w.Top, len(w.Pubs), c.wantFirst, n, c.wantPubs)
		}
		if len(w.Pubs) > 0 && (w.Pubs[0].Offset != c.after+1 || w.Pubs[len(w.Pubs)-1].Offset != n) {
			t.Fatalf("after %d: read %d..%d; want %d..%d", c.after, w.Pubs[0].Offset, w.Pubs[len(w.Pubs)-1].Offset, c.after+1, n)
		}
		if reads > c.maxReads {
			t.Errorf("after %d: read %d stored messages for %d publications; want at most %d", c.after, reads, len(w.Pubs), c.maxReads)
		}
	}
}
