package server_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Presence entries live in a stream whose max age is presence.ttl, and the
// node re-puts its own every ttl/3. The re-puts of one round are spread
// over most of that interval, not sent in one burst (a burst of 18,000
// stalled every publication behind it for 1.5 s in the rooms benchmark),
// and the entries outlive the TTL as long as their connections stay. The
// test reads the presence stream of a NATS server it started itself.
func TestPresenceRefreshIsSpreadAndKeepsEntries(t *testing.T) {
	const (
		ttl     = 3 * time.Second // refresh every 1 s, spread over 0.6 s
		members = 40
		channel = "room:refresh"
	)
	natsURL := testkit.StartNATS(t)
	node := testkit.Start(t, func(c *config.Config) {
		c.NATSURL = natsURL
		c.Presence.TTL = config.Duration(ttl)
	})
	for i := range members {
		c := dialP(t, node.WSURL)
		if res := c.connect(node.Token(fmt.Sprintf("member-%d", i), channel)); res.Subs[channel] == nil {
			t.Fatalf("member %d: connect result %+v; want a subscription to %s", i, res, channel)
		}
	}
	listed := func() int {
		var pres struct {
			Presence map[string]struct{ User string } `json:"presence"`
		}
		node.API("presence", map[string]any{"channel": channel}, &pres)
		return len(pres.Presence)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return listed() == members }, "%d members listed", members)

	// Watch the re-puts from now on, with the time the stream stored each.
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "lr_presence", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"lr.presence.>"},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		t.Fatalf("watch the presence stream: %v", err)
	}
	var (
		mu     sync.Mutex
		stored []time.Time
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil || !strings.HasPrefix(m.Subject(), "lr.presence.") || len(m.Data()) == 0 {
			return // a tombstone or not an entry
		}
		mu.Lock()
		stored = append(stored, md.Timestamp)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Stop()

	// Over three TTLs every member stays listed; that is only possible if
	// the entries were re-put, since each lives ttl after its last put.
	end := time.Now().Add(3 * ttl)
	for time.Now().Before(end) {
		if n := listed(); n != members {
			t.Fatalf("%d of %d members listed %v after they joined; the refresh should keep every entry", n, members, time.Since(end.Add(-3*ttl)))
		}
		time.Sleep(100 * time.Millisecond) // sampling a property over time, not waiting for an event
	}

	mu.Lock()
	times := append([]time.Time(nil), stored...)
	mu.Unlock()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	rounds := splitRounds(times, 250*time.Millisecond)
	full := 0
	for _, r := range rounds[1 : len(rounds)-1] { // the first and last may be cut by the watch
		if len(r) != members {
			continue
		}
		full++
		if span := r[len(r)-1].Sub(r[0]); span < 200*time.Millisecond {
			t.Errorf("a refresh round re-put %d entries within %v; want them spread over most of 600 ms", len(r), span)
		}
	}
	if full < 3 {
		t.Fatalf("saw %d complete refresh rounds of %d entries in %v (round sizes %v); want at least 3", full, members, 3*ttl, sizes(rounds))
	}
}

// splitRounds cuts sorted times where two are more than gap apart.
func splitRounds(times []time.Time, gap time.Duration) [][]time.Time {
	var rounds [][]time.Time
	for i, ts := range times {
		if i == 0 || ts.Sub(times[i-1]) > gap {
			rounds = append(rounds, nil)
		}
		rounds[len(rounds)-1] = append(rounds[len(rounds)-1], ts)
	}
	if len(rounds) < 2 {
		return append(rounds, nil, nil)
	}
	return rounds
}

func sizes(rounds [][]time.Time) []int {
	var n []int
	for _, r := range rounds {
		n = append(n, len(r))
	}
	return n
}
