package server_test

import (
	"fmt"
	"testing"
	"time"

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
	t.Logf("the newest 5 of %d kept publications read %v stored messages", kept, read)
	if read > 40 {
		t.Fatalf("the newest 5 of %d kept publications read %v stored messages; want at most 40 (the page, the probes that find it, and fewer than 16 before it)", kept, read)
	}
}

// While this node holds a channel (a subscriber is on it), a history page
// that its recent publications in memory cover is answered from them,
// without reading the stream, and is the same page the stream gives; a
// page reaching past them reads the stream.
func TestHistoryPagesFromMemoryWhileTheChannelIsHeld(t *testing.T) {
	const published = 200 // the memory holds the newest 128
	node := testkit.Start(t, func(c *config.Config) {
		ns := config.NamespaceDefaults("hist")
		ns.HistorySize, ns.Recovery = 300, true
		c.Namespaces = append(c.Namespaces, ns)
	})
	const channel = "hist:live"
	sub := dialP(t, node.WSURL)
	sub.connect(node.Token("watcher"))
	if rep := sub.call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: channel}}); rep.Error != nil {
		t.Fatalf("subscribe: %v", rep.Error)
	}
	for i := 1; i <= published; i++ {
		node.Publish(channel, map[string]int{"i": i})
	}
	c := dialP(t, node.WSURL)
	c.connect(node.Token("reader"))
	epoch := c.call(&protocol.Command{History: &protocol.HistoryRequest{Channel: channel, Limit: 0}}).History.Epoch

	cases := []struct {
		name       string
		req        *protocol.HistoryRequest
		first      uint64 // offset of the first publication in the reply
		n          int
		fromMemory bool
	}{
		{"newest 50", &protocol.HistoryRequest{Limit: 50, Reverse: true}, 200, 50, true},
		{"10 before 150", &protocol.HistoryRequest{Limit: 10, Reverse: true, Since: &protocol.StreamPosition{Offset: 150}}, 149, 10, true},
		{"5 after 180", &protocol.HistoryRequest{Limit: 5, Since: &protocol.StreamPosition{Offset: 180}}, 181, 5, true},
		{"newest 150 (past memory)", &protocol.HistoryRequest{Limit: 150, Reverse: true}, 200, 150, false},
		{"5 after 10 (past memory)", &protocol.HistoryRequest{Limit: 5, Since: &protocol.StreamPosition{Offset: 10}}, 11, 5, false},
	}
	// The node must be at the top before the first case: poll until the
	// subscriber has the last publication.
	deadline := time.Now().Add(10 * time.Second)
	for len(sub.pushes) == 0 || sub.pushes[len(sub.pushes)-1].Pub.GetOffset() != published {
		if time.Now().After(deadline) {
			t.Fatalf("the subscriber did not receive offset %d", published)
		}
		if err := sub.read(deadline); err != nil {
			t.Fatalf("the subscriber did not receive offset %d: %v", published, err)
		}
	}
	for _, tc := range cases {
		req := tc.req
		req.Channel = channel
		if req.Since != nil {
			req.Since.Epoch = epoch
		}
		memBefore := metricValue(t, node, "liveroom_history_from_memory_total")
		readBefore := metricValue(t, node, "liveroom_engine_history_messages_read_total")
		rep := c.call(&protocol.Command{History: req})
		if rep.Error != nil {
			t.Fatalf("%s: %v", tc.name, rep.Error)
		}
		pubs := rep.History.Publications
		if len(pubs) != tc.n {
			t.Fatalf("%s: %d publications; want %d", tc.name, len(pubs), tc.n)
		}
		for i, p := range pubs {
			want := tc.first + uint64(i)
			if req.Reverse {
				want = tc.first - uint64(i)
			}
			if p.Offset != want || string(p.Data) != fmt.Sprintf(`{"i":%d}`, want) {
				t.Fatalf("%s: publication %d is offset %d %s; want offset %d", tc.name, i, p.Offset, p.Data, want)
			}
		}
		fromMemory := metricValue(t, node, "liveroom_history_from_memory_total") > memBefore
		read := metricValue(t, node, "liveroom_engine_history_messages_read_total") - readBefore
		if fromMemory != tc.fromMemory || (tc.fromMemory && read != 0) || (!tc.fromMemory && read == 0) {
			t.Fatalf("%s: answered from memory %v with %v stored messages read; want from memory %v", tc.name, fromMemory, read, tc.fromMemory)
		}
	}
}

// While publications keep arriving, no history page holds a publication
// newer than the top offset its reply names (a client pages on from that
// offset and would get it twice), and every page is contiguous.
func TestHistoryPageEndsAtTheRepliedTop(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		ns := config.NamespaceDefaults("hist")
		ns.HistorySize = 30
		c.Namespaces = append(c.Namespaces, ns)
		c.Client.CommandsPerSecond = 0 // 300 history calls back to back; the limit is not under test
	})
	const channel = "hist:busy"
	node.Publish(channel, map[string]int{"i": 0})
	stop := make(chan struct{})
	published := make(chan struct{})
	go func() {
		defer close(published)
		for {
			select {
			case <-stop:
				return
			default:
				status, err := testkit.CallAPI(node.BaseURL, node.APIKey, "publish", map[string]any{"channel": channel, "data": 1}, nil)
				if err != nil || status != 200 {
					return // the node is going away; the test goroutine reports failures
				}
			}
		}
	}()
	defer func() { close(stop); <-published }()

	c := dialP(t, node.WSURL)
	c.connect(node.Token("reader"))
	epoch := c.call(&protocol.Command{History: &protocol.HistoryRequest{Channel: channel, Limit: 0}}).History.Epoch
	for i := 0; i < 300; i++ {
		req := &protocol.HistoryRequest{Channel: channel, Limit: []int32{-1, 5, 40}[i%3], Reverse: i%2 == 0}
		if i%4 == 1 {
			req.Since = &protocol.StreamPosition{Offset: 1, Epoch: epoch}
			req.Reverse = false
		}
		rep := c.call(&protocol.Command{History: req})
		if rep.Error != nil {
			if req.Since != nil && rep.Error.Code == 112 {
				continue // offset 1 trimmed away: a correct answer
			}
			t.Fatalf("history %+v: %v", req, rep.Error)
		}
		pubs := rep.History.Publications
		for j, p := range pubs {
			if p.Offset > rep.History.Offset {
				t.Fatalf("history %+v: offset %d in a reply whose top is %d", req, p.Offset, rep.History.Offset)
			}
			if j > 0 {
				step := int64(p.Offset) - int64(pubs[j-1].Offset)
				if (req.Reverse && step != -1) || (!req.Reverse && step != 1) {
					t.Fatalf("history %+v: offsets %d then %d", req, pubs[j-1].Offset, p.Offset)
				}
			}
		}
	}
}
