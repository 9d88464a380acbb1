package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

type racePub struct {
	P   int `json:"p"`   // publisher
	Seq int `json:"seq"` // publisher's sequence number
}

// 50 publishers × 200 publications into one channel while 20 subscribers
// join at random moments (recovering from offset 0) and each loses its
// connection once mid-stream: every subscriber ends with the identical
// sequence, offsets 1–10,000, and each publisher's own order.
func TestConcurrentPublishersAndRecoveringSubscribers(t *testing.T) {
	const publishers, perPublisher, subscribers = 50, 200, 20
	const total = publishers * perPublisher
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(2 * time.Second)
		c.Client.PongTimeout = config.Duration(1500 * time.Millisecond)
		c.Client.CommandsPerSecond = 0
		c.Client.QueueMaxBytes = 16 << 20
		for i := range c.Namespaces {
			if c.Namespaces[i].Name == "room" {
				c.Namespaces[i].HistorySize = total
			}
		}
	})
	ch := "room:race"
	epoch := node.Epoch(ch)

	// Publishers: half through the server API, half as WebSocket clients.
	var wsPublishers []*centrifuge.Client
	for p := 0; p < publishers/2; p++ {
		wsPublishers = append(wsPublishers, connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token(fmt.Sprintf("pub-%d", p)), ReadTimeout: 30 * time.Second}))
	}
	type sub struct {
		rec    *recorder
		cutter *testkit.Cutter
	}
	subs := make([]sub, subscribers)
	var pubWG, subWG sync.WaitGroup
	progress := make(chan int, total)
	errs := make(chan error, total)
	start := make(chan struct{})
	for p := 0; p < publishers; p++ {
		pubWG.Add(1)
		go func(p int) {
			defer pubWG.Done()
			<-start
			for seq := 1; seq <= perPublisher; seq++ {
				data, _ := json.Marshal(racePub{P: p, Seq: seq})
				var err error
				if p < len(wsPublishers) {
					_, err = wsPublishers[p].Publish(context.Background(), ch, data)
				} else {
					var status int
					status, err = testkit.CallAPI(node.BaseURL, node.APIKey, "publish", map[string]any{"channel": ch, "data": json.RawMessage(data)}, nil)
					if err == nil && status != 200 {
						err = fmt.Errorf("status %d", status)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("publisher %d seq %d: %w", p, seq, err)
					return
				}
				progress <- 1
			}
		}(p)
	}
	// Subscribers join when the channel holds a random number of
	// publications, and are cut once a little later.
	done := 0
	joinAt := make([]int, subscribers)
	for i := range joinAt {
		joinAt[i] = rand.IntN(total * 3 / 4)
	}
	close(start)
	next := 0
	for next < subscribers || done < total {
		for next < subscribers && joinAt[next] <= done {
			i := next
			next++
			cutter := testkit.NewCutter()
			c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{
				Token: node.Token(fmt.Sprintf("sub-%d", i)), NetDialContext: cutter.Dial,
				MaxServerPingDelay: time.Second, MinReconnectDelay: 20 * time.Millisecond, MaxReconnectDelay: 100 * time.Millisecond,
				ReadTimeout: 30 * time.Second, // a recovery of thousands of publications on a loaded machine
			})
			s, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{
				GetState: func(centrifuge.SubscriptionGetStateEvent) (centrifuge.StreamPosition, error) {
					return centrifuge.StreamPosition{Offset: 0, Epoch: epoch}, nil
				},
			})
			_ = s
			subs[i] = sub{rec: rec, cutter: cutter}
			subWG.Add(1)
			go func() {
				defer subWG.Done()
				testkit.Eventually(t, 30*time.Second, func() bool { return rec.count() > 0 }, "subscriber %d got something", i)
				cutter.Cut()
				time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond) // outage length, not synchronisation
				cutter.Restore()
			}()
		}
		if done >= total {
			continue
		}
		select {
		case <-progress:
			done++
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(60 * time.Second):
			t.Fatalf("publishing stalled at %d of %d", done, total)
		}
	}
	pubWG.Wait()
	subWG.Wait()
	var reference []centrifuge.Publication
	for i, s := range subs {
		testkit.Eventually(t, 60*time.Second, func() bool { return s.rec.count() >= total }, "subscriber %d has %d of %d", i, s.rec.count(), total)
		s.rec.mu.Lock()
		pubs := append([]centrifuge.Publication(nil), s.rec.pubs...)
		s.rec.mu.Unlock()
		if len(pubs) != total {
			t.Fatalf("subscriber %d got %d publications; want exactly %d", i, len(pubs), total)
		}
		if ev, n := s.rec.lastSubscribed(); n < 2 || !ev.WasRecovering || !ev.Recovered {
			t.Fatalf("subscriber %d: %d subscribes, last %+v; want a recovered resubscribe after its cut", i, n, ev)
		}
		last := map[int]int{}
		for j, p := range pubs {
			if p.Offset != uint64(j+1) {
				t.Fatalf("subscriber %d: publication %d has offset %d; want %d", i, j, p.Offset, j+1)
			}
			var rp racePub
			if err := json.Unmarshal(p.Data, &rp); err != nil {
				t.Fatal(err)
			}
			if rp.Seq != last[rp.P]+1 {
				t.Fatalf("subscriber %d: publisher %d seq %d after %d", i, rp.P, rp.Seq, last[rp.P])
			}
			last[rp.P] = rp.Seq
			if reference != nil && string(reference[j].Data) != string(p.Data) {
				t.Fatalf("subscriber %d differs from subscriber 0 at offset %d", i, j+1)
			}
		}
		if reference == nil {
			reference = pubs
		}
	}
}
