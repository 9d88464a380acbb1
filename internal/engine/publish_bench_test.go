package engine

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkPublish is the cost of one acknowledged publication (stored
// before the call returns), one channel, in-process JetStream, with the
// default fsync policy and with sync_always.
func BenchmarkPublish(b *testing.B) {
	for _, syncAlways := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync_always=%v", syncAlways), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			e, err := Start(ctx, Config{DataDir: b.TempDir(), NodeName: "bench", SyncAlways: syncAlways})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = e.Close(context.Background()) }()
			if err := e.EnsureNamespace(ctx, NamespaceSpec{Namespace: "room", HistorySize: 1000}); err != nil {
				b.Fatal(err)
			}
			ch := Ref("room", "room:bench")
			body := make([]byte, 200)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Publish(context.Background(), ch, body, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
