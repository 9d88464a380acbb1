package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// countingDialer dials TCP connections that count the bytes they read:
// what a subscriber receives on the wire, WebSocket framing and
// compression included.
type countingDialer struct{ read atomic.Int64 }

func (d *countingDialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &d.read}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// chatLines are chat messages of the lengths a live room sees: mostly a
// few words, some sentences, a few long ones.
var chatLines = []string{
	"lol", "gg", "who's winning?", "that was a great goal!!", "hi everyone 👋", "wait what happened",
	"no way", "can you turn the volume up a bit? it's really quiet on my side", "first time here, love the stream",
	"🔥🔥🔥", "same", "is this live or a replay?", "he should have passed it to number 9, he was completely open on the left side",
	"ok", "good luck tonight", "the referee is blind", "haha", "where are you watching from?", "Lisbon", "rain here too",
	"bid 120 on the red one", "I think the answer to the quiz is B, the second option, because the first one was last week's",
	"brb", "nice", "what's the song?", "thanks for the stream, see you tomorrow everyone!",
}

// chatMessage is the demo site's chat data (web/src/message.ts).
func chatMessage(i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"text": chatLines[(i*7)%len(chatLines)],
		"cid":  fmt.Sprintf("m%015x", uint64(i)*0x9e3779b97f4a7c15>>4),
		"at":   1764457200000 + int64(i)*1733,
	})
	return b
}

// wireClient connects a counted client with or without permessage-deflate.
func wireClient(b *testing.B, node *testkit.Node, user string, newClient func(string, centrifuge.Config) *centrifuge.Client, deflate bool) (*centrifuge.Client, *countingDialer) {
	d := &countingDialer{}
	c := newClient(node.WSURL, centrifuge.Config{Token: node.Token(user), NetDialContext: d.Dial, EnableCompression: deflate})
	connected := make(chan struct{}, 1)
	c.OnConnected(func(centrifuge.ConnectedEvent) {
		select {
		case connected <- struct{}{}:
		default:
		}
	})
	if err := c.Connect(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		b.Fatal("client did not connect")
	}
	b.Cleanup(c.Close)
	return c, d
}

// BenchmarkWireBytes measures the bytes a subscriber receives per
// publication, WebSocket framing included, for (a) a chat room (short JSON
// messages with the publisher's info, as the demo sends them) with and
// without permessage-deflate at several thresholds, and (b) a 2 KiB state
// document of which one field changes per publication, plain, with
// permessage-deflate, with fossil deltas and with both. Each publication is
// delivered before the next is made, so no two share a WebSocket message.
// Run: go test -run '^$' -bench WireBytes -benchtime 1x ./internal/server
func BenchmarkWireBytes(b *testing.B) {
	const chatN, stateN = 300, 200
	type variant struct {
		name     string
		minBytes int  // compression_min_bytes; 0 = client does not offer deflate
		delta    bool // subscribe with delta 'fossil'
	}
	run := func(b *testing.B, v variant, codec int, channel string, n int, publish func(node *testkit.Node, pub *centrifuge.Client, i int) error, usePublisher bool) {
		for b.Loop() {
			node := testkit.Start(b, func(c *config.Config) {
				if v.minBytes > 0 {
					c.Client.CompressionMinBytes = config.ByteSize(v.minBytes)
				}
				ns := config.NamespaceDefaults("state")
				ns.HistorySize, ns.Recovery, ns.Delta = 1000, true, config.DeltaFossil
				c.Namespaces = append(c.Namespaces, ns)
				c.Client.CommandsPerSecond, c.Client.CommandsBurst = 0, 0
			})
			sub, counter := wireClient(b, node, "viewer", codecs[codec].new, v.minBytes > 0)
			var pub *centrifuge.Client
			if usePublisher {
				pub, _ = wireClient(b, node, "talker", centrifuge.NewJsonClient, false)
			}
			got := make(chan struct{}, n)
			cfg := centrifuge.SubscriptionConfig{}
			if v.delta {
				cfg.Delta = centrifuge.DeltaTypeFossil
			}
			s, err := sub.NewSubscription(channel, cfg)
			if err != nil {
				b.Fatal(err)
			}
			s.OnPublication(func(centrifuge.PublicationEvent) { got <- struct{}{} })
			subscribed := make(chan struct{})
			s.OnSubscribed(func(centrifuge.SubscribedEvent) { close(subscribed) })
			if err := s.Subscribe(); err != nil {
				b.Fatal(err)
			}
			<-subscribed
			if usePublisher {
				ps, err := pub.NewSubscription(channel, centrifuge.SubscriptionConfig{})
				if err != nil {
					b.Fatal(err)
				}
				if err := ps.Subscribe(); err != nil {
					b.Fatal(err)
				}
			}
			start := counter.read.Load()
			for i := 0; i < n; i++ {
				if err := publish(node, pub, i); err != nil {
					b.Fatal(err)
				}
				select {
				case <-got:
				case <-time.After(10 * time.Second):
					b.Fatalf("publication %d not delivered", i)
				}
			}
			b.ReportMetric(float64(counter.read.Load()-start)/float64(n), "wire-B/pub")
		}
	}
	chatVariants := []variant{{"plain", 0, false}, {"deflate-min-1024", 1024, false}, {"deflate-min-256", 256, false}, {"deflate-min-128", 128, false}, {"deflate-min-64", 64, false}, {"deflate-min-1", 1, false}}
	for _, v := range chatVariants {
		b.Run("chat/json/"+v.name, func(b *testing.B) {
			run(b, v, 0, "room:chat", chatN, func(_ *testkit.Node, pub *centrifuge.Client, i int) error {
				_, err := pub.Publish(context.Background(), "room:chat", chatMessage(i))
				return err
			}, true)
		})
	}
	stateVariants := []variant{{"plain", 0, false}, {"deflate", 128, false}, {"fossil", 0, true}, {"fossil+deflate", 128, true}}
	for codec := range codecs {
		for _, v := range stateVariants {
			b.Run("state/"+codecs[codec].name+"/"+v.name, func(b *testing.B) {
				run(b, v, codec, "state:board", stateN, func(node *testkit.Node, _ *centrifuge.Client, i int) error {
					node.Publish("state:board", json.RawMessage(stateDoc(i+1)))
					return nil
				}, false)
			})
		}
	}
}
