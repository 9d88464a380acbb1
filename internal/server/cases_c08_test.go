package server_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C08, what TestSlowConsumerIsDisconnected leaves out: while a slow reader
// S lives, the hub never queues more than Q for it (the server-side form
// of "heap growth attributable to S ≤ Q + 2 MiB"), S is disconnected with
// 3008, and its queue is freed afterwards. S is the only connection, so
// the hub's QueuedBytes is S's queue. (Bytes the transport holds for S on
// top of that count against the same cap when a publication is queued;
// the transport's counter is not reachable from here.) Publications are
// 16 KiB so that the burst gets past the kernel's socket buffers quickly.
func TestC08SlowReaderQueueStaysUnderCap(t *testing.T) {
	const Q, W = 256 << 10, 2 * time.Second
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.QueueMaxBytes = Q
		c.Client.WriteTimeout = config.Duration(W)
		ns := config.NamespaceDefaults("c08")
		ns.HistorySize = 100
		c.Namespaces = append(c.Namespaces, ns)
	})
	h := node.Server.Hub()
	const ch = "c08:slow"
	dialRaw(t, node, "slow", ch, 4096) // subscribes, then never reads

	api := newAPIPoster(t, node)
	payload := strings.Repeat("x", 16<<10)
	stop := make(chan struct{})
	var maxQueued atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }); wg.Wait() }
	defer halt()
	wg.Add(1)
	go func() { // samples the hub's queue while S lives
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if q := h.Stats().QueuedBytes; q > maxQueued.Load() {
				maxQueued.Store(q)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	errs := make(chan error, 2)
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 1; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := api.publish(ch, []byte(fmt.Sprintf(`{"p":%d,"seq":%d,"pad":%q}`, p, seq, payload))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	disconnected := func() bool { return h.Stats().Disconnects[3008] >= 1 }
	for !disconnected() && time.Since(start) < 30*time.Second {
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(10 * time.Millisecond): // polling interval
		}
	}
	halt()
	if !disconnected() {
		t.Fatalf("S not disconnected with 3008 within 30 s (disconnects %v)", h.Stats().Disconnects)
	}
	if m := maxQueued.Load(); m > Q {
		t.Fatalf("the hub queued %d bytes for S; the cap is %d", m, Q)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		s := h.Stats()
		return s.QueuedBytes == 0 && s.ConnectionsOpen == 0
	}, "S's connection and queue freed (%+v)", h.Stats())
}
