package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

type orderPub struct {
	P   int `json:"p"`   // publisher
	Seq int `json:"seq"` // its sequence number
}

// C17: publication order. 10 subscribers (5 JSON, 5 Protobuf; all
// WebSocket — SSE subscribers join when that transport exists); subscriber
// 0 is also subscribed to a side channel whose publications are interleaved
// with (1)'s.
//
//  1. one API publisher, each publish awaited;
//  2. one WebSocket client pipelining publishes without waiting for replies;
//  3. four concurrent publishers (two through the API, two WebSocket clients).
//
// Every subscriber sees each publisher's seq strictly increasing with no
// gaps, offsets contiguous from 1, the same overall order as every other
// subscriber, and that order is the history's (offset) order.
//
// Counts are scaled from the case's 10,000 to 2,000 in (1) and (2) and
// from 4 × 2,500 to 4 × 500 in (3): ordering does not depend on the count,
// and this keeps the test to seconds under the race detector.
func TestC17PublicationOrder(t *testing.T) {
	const n, perPublisher, subscribers = 2000, 500, 10
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.CommandsPerSecond = 0
		c.Client.QueueMaxBytes = 16 << 20
		ns := config.NamespaceDefaults("c17")
		ns.HistorySize, ns.Recovery, ns.Publish = 10000, true, config.PublishAuthenticated
		c.Namespaces = append(c.Namespaces, ns)
	})
	chans := []string{"c17:awaited", "c17:pipelined", "c17:concurrent"}
	const side = "c17:side"
	recs := make([]map[string]*recorder, subscribers)
	for i := range recs {
		newClient := centrifuge.NewJsonClient
		if i%2 == 1 {
			newClient = centrifuge.NewProtobufClient
		}
		c := connect(t, newClient, node.WSURL, centrifuge.Config{Token: node.Token(fmt.Sprintf("sub-%d", i))})
		recs[i] = map[string]*recorder{}
		for _, ch := range chans {
			_, recs[i][ch] = subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
		}
		if i == 0 {
			_, recs[i][side] = subscribe(t, c, side, centrifuge.SubscriptionConfig{})
		}
	}
	data := func(p, seq int) []byte { b, _ := json.Marshal(orderPub{p, seq}); return b }
	api := newAPIPoster(t, node)

	// (1) Awaited API publishes, with the side channel interleaved.
	for seq := 1; seq <= n; seq++ {
		if _, err := api.publish(chans[0], data(0, seq)); err != nil {
			t.Fatal(err)
		}
		if seq%2 == 0 {
			if _, err := api.publish(side, data(0, seq/2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkOrder(t, node, recs, chans[0], n)
	checkOrder(t, node, recs[:1], side, n/2)

	// (2) Pipelined WebSocket publishes: all sent before any reply is read.
	pub := dialP(t, node.WSURL)
	pub.connect(node.Token("pipeliner"))
	cmds := make([]*protocol.Command, n)
	for i := range cmds {
		cmds[i] = &protocol.Command{Publish: &protocol.PublishRequest{Channel: chans[1], Data: data(0, i+1)}}
		if err := pub.send(cmds[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if rep := pub.reply(cmd.Id); rep.Error != nil || rep.Publish == nil {
			t.Fatalf("pipelined publish %d: %+v", i+1, rep)
		}
	}
	checkOrder(t, node, recs, chans[1], n)

	// (3) Four concurrent publishers.
	var ws [2]*centrifuge.Client
	for i := range ws {
		ws[i] = connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token(fmt.Sprintf("publisher-%d", i))})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	start := make(chan struct{})
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for seq := 1; seq <= perPublisher; seq++ {
				var err error
				if p < 2 {
					_, err = api.publish(chans[2], data(p, seq))
				} else {
					_, err = ws[p-2].Publish(context.Background(), chans[2], data(p, seq))
				}
				if err != nil {
					errs <- fmt.Errorf("publisher %d seq %d: %w", p, seq, err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkOrder(t, node, recs, chans[2], 4*perPublisher)
}

// checkOrder waits until every recorder has total publications of channel
// and checks: exactly total, offsets 1..total, each publisher's seq
// increasing by one, the same sequence everywhere, and equal to history.
func checkOrder(t *testing.T, node *testkit.Node, recs []map[string]*recorder, channel string, total int) {
	t.Helper()
	var hist struct {
		Publications []struct {
			Offset uint64          `json:"offset"`
			Data   json.RawMessage `json:"data"`
		} `json:"publications"`
	}
	node.API("history", map[string]any{"channel": channel, "limit": -1}, &hist)
	if len(hist.Publications) != total {
		t.Fatalf("%s: history holds %d publications; want %d", channel, len(hist.Publications), total)
	}
	for i, rs := range recs {
		rec := rs[channel]
		testkit.Eventually(t, 30*time.Second, func() bool { return rec.count() >= total }, "subscriber %d: %d of %d on %s", i, rec.count(), total, channel)
		rec.mu.Lock()
		pubs := append([]centrifuge.Publication(nil), rec.pubs...)
		rec.mu.Unlock()
		if len(pubs) != total {
			t.Fatalf("subscriber %d: %d publications on %s; want %d", i, len(pubs), channel, total)
		}
		last := map[int]int{}
		for j, p := range pubs {
			var m orderPub
			if err := json.Unmarshal(p.Data, &m); err != nil {
				t.Fatal(err)
			}
			if p.Offset != uint64(j+1) || m.Seq != last[m.P]+1 {
				t.Fatalf("subscriber %d, %s position %d: offset %d, publisher %d seq %d after %d", i, channel, j, p.Offset, m.P, m.Seq, last[m.P])
			}
			last[m.P] = m.Seq
			h := hist.Publications[j]
			if h.Offset != p.Offset || string(h.Data) != string(p.Data) {
				t.Fatalf("subscriber %d, %s position %d: %s at %d; history has %s at %d", i, channel, j, p.Data, p.Offset, h.Data, h.Offset)
			}
		}
	}
}
