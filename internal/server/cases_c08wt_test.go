package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C08, the time limit: a reader S that stops reading while publications
// keep coming (1 KiB every 10 ms, far below the queue cap) is disconnected
// with 3008 within the write timeout W + 2 s — "a connection whose oldest
// queued bytes have waited longer than write_timeout is disconnected"
// (docs/configuration.md) — wherever those bytes wait: in the hub, in the
// transport, or in the kernel's socket buffer.
func TestC08StalledReaderDisconnectedAfterWriteTimeout(t *testing.T) {
	const W = 2 * time.Second
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.WriteTimeout = config.Duration(W)
		ns := config.NamespaceDefaults("c08")
		ns.HistorySize = 100
		c.Namespaces = append(c.Namespaces, ns)
	})
	h := node.Server.Hub()
	const ch = "c08:stalled"
	dialRaw(t, node, "stalled", ch, 4096) // subscribes, then never reads
	api := newAPIPoster(t, node)
	payload := strings.Repeat("x", 1024)
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond) // the publication rate
	defer tick.Stop()
	for seq := 1; h.Stats().Disconnects[3008] == 0; seq++ {
		if waited := time.Since(start); waited > W+2*time.Second {
			t.Fatalf("S still connected %s after it stopped reading, %d publications (%d KiB) later; want 3008 within %s",
				waited.Round(time.Millisecond), seq-1, (seq-1)*len(payload)>>10, W+2*time.Second)
		}
		if _, err := api.publish(ch, []byte(fmt.Sprintf(`{"seq":%d,"pad":%q}`, seq, payload))); err != nil {
			t.Fatal(err)
		}
		<-tick.C
	}
}
