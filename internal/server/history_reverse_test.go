package server_test

import (
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// A reverse history page (how a chat loads its newest messages) holds the
// newest publications before since, newest first, limited to what history
// keeps; and it is read from where it starts: its cost follows the page,
// not the number of publications the channel keeps.
func TestReverseHistoryReadsOnlyThePage(t *testing.T) {
	const kept, published = 150, 200
	node := testkit.Start(t, func(c *config.Config) {
		ns := config.NamespaceDefaults("hist")
		ns.HistorySize = kept
		c.Namespaces = append(c.Namespaces, ns)
	})
	const channel = "hist:log"
	for i := 1; i <= published; i++ {
		node.Publish(channel, map[string]int{"i": i})
		if i%3 == 0 {
			node.Publish("hist:other", map[string]int{"i": i})
		}
	}
	c := dialP(t, node.WSURL)
	c.connect(node.Token("reader"))
	rep := c.call(&protocol.Command{History: &protocol.HistoryRequest{Channel: channel, Limit: 0}})
	if rep.Error != nil || rep.History.Offset != published {
		t.Fatalf("position: %+v", rep)
	}
	epoch := rep.History.Epoch
	const oldestKept = published - kept + 1

	cases := []struct {
		limit int32
		since uint64 // 0: none
	}{
		{limit: 5}, {limit: 1}, {limit: -1}, {limit: kept}, {limit: kept + 50},
		{limit: 10, since: published}, {limit: 10, since: 100}, {limit: 10, since: oldestKept + 3},
		{limit: 10, since: oldestKept}, {limit: 10, since: 20}, {limit: -1, since: 120},
	}
	for _, tc := range cases {
		req := &protocol.HistoryRequest{Channel: channel, Limit: tc.limit, Reverse: true}
		upper := uint64(published)
		if tc.since != 0 {
			req.Since = &protocol.StreamPosition{Offset: tc.since, Epoch: epoch}
			upper = tc.since - 1
		}
		var want []uint64
		for off := upper; off >= oldestKept && (tc.limit < 0 || len(want) < int(tc.limit)); off-- {
			want = append(want, off)
		}
		rep := c.call(&protocol.Command{History: req})
		if rep.Error != nil {
			t.Fatalf("limit %d since %d: error %v", tc.limit, tc.since, rep.Error)
		}
		var got []uint64
		for _, p := range rep.History.Publications {
			got = append(got, p.Offset)
		}
		if len(got) != len(want) || (len(got) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1])) {
			t.Fatalf("limit %d since %d: offsets %v; want %v", tc.limit, tc.since, got, want)
		}
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]-1 {
				t.Fatalf("limit %d since %d: offsets %v not newest first without gaps", tc.limit, tc.since, got)
			}
		}
	}

	before := metricValue(t, node, "liveroom_engine_history_messages_read_total")
	if before <= 0 {
		t.Fatalf("liveroom_engine_history_messages_read_total = %v after history reads; want a positive count", before)
	}
	rep = c.call(&protocol.Command{History: &protocol.HistoryRequest{Channel: channel, Limit: 5, Reverse: true}})
	if rep.Error != nil || len(rep.History.Publications) != 5 || rep.History.Publications[0].Offset != published {
		t.Fatalf("newest 5: %+v", rep)
	}
	read := metricValue(t, node, "liveroom_engine_history_messages_read_total") - before
	if read > 40 {
		t.Fatalf("the newest 5 of %d kept publications read %v stored messages; want at most 40 (the page, the probes that find it, and fewer than 16 before it)", kept, read)
	}
}
