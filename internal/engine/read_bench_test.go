package engine

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkReadAfterDeep reads the last 10 publications of a channel that
// keeps 1,000 (interleaved with another channel's), as a recovery of a
// subscriber that missed 10 does when the node does not hold the channel:
// seek is the read as shipped, scan the read from the oldest message it
// replaced; publications of 16 KiB and of 100 bytes.
func BenchmarkReadAfterDeep(b *testing.B) {
	for _, size := range []int{16 << 10, 100} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) { benchReadAfterDeep(b, size) })
	}
}

func benchReadAfterDeep(b *testing.B, size int) {
	e, err := Start(context.Background(), Config{DataDir: b.TempDir(), NodeName: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.Close(context.Background()) }()
	const n = 1000
	if err := e.EnsureNamespace(context.Background(), NamespaceSpec{Namespace: "room", HistorySize: n}); err != nil {
		b.Fatal(err)
	}
	ch, other := Ref("room", "room:deep"), Ref("room", "room:other")
	body := bytes.Repeat([]byte("x"), size)
	for i := 0; i < n; i++ {
		for _, c := range []ChannelRef{ch, other} {
			if _, err := e.Publish(context.Background(), c, body, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	s, _ := e.stream("room")
	ctx := context.Background()
	for _, mode := range []string{"seek", "scan"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			start := e.historyRead.Load()
			for b.Loop() {
				var w Window
				var err error
				if mode == "seek" {
					w, err = e.ReadAfter(ctx, ch, n-10, -1, time.Now())
				} else {
					w, err = e.scanWindow(ctx, s, ch, 1, n-10, -1, time.Time{}, true, Window{Epoch: s.epoch})
				}
				if err != nil || len(w.Pubs) != 10 {
					b.Fatal(fmt.Errorf("read: %d pubs, %w", len(w.Pubs), err))
				}
			}
			b.ReportMetric(float64(e.historyRead.Load()-start)/float64(b.N), "msgs-read/op")
		})
	}
}
