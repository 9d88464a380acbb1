package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Three nodes whose embedded NATS servers form one cluster: publications
// made through every node (API and client) reach every subscriber on every
// node once, in one order with contiguous offsets; presence, the server
// API, per-user limits and API commands act cluster-wide.
func TestThreeNodes(t *testing.T) {
	skipShort(t)
	// The channel linger is shortened so the test sees node 2 let go.
	sh := testkit.NewShared(t, clusterTOML("max_connections_per_user = 2\nchannel_linger = \"1s\"", "", ""))
	n := startThree(t, sh)
	const channel = "room:fanout"

	subs := []*subscriber{
		subscribe(t, "a1", n[0].WSURL, sh.Token("a1"), channel),
		subscribe(t, "b1", n[1].WSURL, sh.Token("b1"), channel),
		subscribe(t, "b2", n[1].WSURL, sh.Token("b2"), channel),
		subscribe(t, "c1", n[2].WSURL, sh.Token("c1"), channel),
		subscribe(t, "target", n[2].WSURL, sh.Token("target"), channel),
	}

	// Concurrent writers to one replicated channel: the API of each node
	// and a client connection on node 1.
	const perWriter = 30
	writer := centrifuge.NewJsonClient(n[0].WSURL, centrifuge.Config{Token: sh.Token("writer")})
	t.Cleanup(writer.Close)
	if err := writer.Connect(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*perWriter)
	for w, node := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				data := fmt.Sprintf(`{"src":"api-n%d","i":%d}`, w+1, i)
				if _, err := publishAPI(node.BaseURL, node.APIKey, channel, data, "", 20*time.Second); err != nil {
					errs <- fmt.Errorf("api publish via n%d: %w", w+1, err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range perWriter {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_, err := writer.Publish(ctx, channel, fmt.Appendf(nil, `{"src":"client-n1","i":%d}`, i))
			cancel()
			if err != nil {
				errs <- fmt.Errorf("client publish: %w", err)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	const total = 4 * perWriter
	for _, s := range subs {
		testkit.Eventually(t, 20*time.Second, func() bool { return s.count() >= total },
			"%s received %d of %d publications", s.name, s.count(), total)
	}
	first := subs[0].snapshot()
	if problem := checkExact(first, 1, total, nil); problem != "" {
		t.Fatalf("%s: %s", subs[0].name, problem)
	}
	seen := map[string]bool{}
	for _, r := range first {
		if seen[r.Data] {
			t.Fatalf("publication %s stored twice", r.Data)
		}
		seen[r.Data] = true
	}
	for _, s := range subs[1:] {
		if got := s.snapshot(); !reflect.DeepEqual(got, first) {
			t.Fatalf("%s saw another order or other publications than %s:\n%v\n%v", s.name, subs[0].name, got, first)
		}
	}

	// Node 2 took the channel's deliveries once for its two subscribers.
	out, err := metricValue(n[1].BaseURL, "liveroom_publications_out_total")
	if err != nil {
		t.Fatal(err)
	}
	deliveries, err := metricValue(n[1].BaseURL, "liveroom_deliveries_total")
	if err != nil {
		t.Fatal(err)
	}
	if out != total || deliveries != 2*total {
		t.Fatalf("node 2 fanned out %v publications and made %v deliveries; want %d and %d", out, deliveries, total, 2*total)
	}

	checkPresenceEverywhere(t, n, channel, subs)
	checkAPIEverywhere(t, n, channel)
	checkUserLimitAcrossNodes(t, sh, n)
	checkCommandsReachOtherNode(t, n, channel, subs[4], subs)

	// Node 2 drops its interest when its last subscriber has left and the
	// channel's linger has passed: later publications are not fanned out
	// there.
	for _, s := range subs[1:3] {
		if err := s.sub.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		v, err := metricValue(n[1].BaseURL, "liveroom_channels")
		return err == nil && v == 0
	}, "node 2 releases the channel after its last subscriber left")
	if _, err := publishAPI(n[0].BaseURL, n[0].APIKey, channel, `{"after":"leave"}`, "", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return subs[0].count() == total+1 }, "a1 gets the last publication")
	if v, _ := metricValue(n[1].BaseURL, "liveroom_publications_out_total"); v != total {
		t.Fatalf("node 2 fanned out %v publications after its subscribers left; want still %d", v, total)
	}
}

// checkPresenceEverywhere: presence and presence_stats are the same
// through every node's API and through a client, and list every
// subscriber.
func checkPresenceEverywhere(t *testing.T, n []*testkit.Process, channel string, subs []*subscriber) {
	t.Helper()
	var want []string
	for _, s := range subs {
		want = append(want, s.id())
	}
	sort.Strings(want)
	for i, node := range n {
		if got := presenceClients(t, node, channel); !reflect.DeepEqual(got, want) {
			t.Fatalf("presence via n%d = %v; want %v", i+1, got, want)
		}
		var stats struct {
			NumClients int `json:"num_clients"`
			NumUsers   int `json:"num_users"`
		}
		api(t, node, "presence_stats", map[string]any{"channel": channel}, &stats)
		if stats.NumClients != len(subs) || stats.NumUsers != len(subs) {
			t.Fatalf("presence_stats via n%d = %+v; want %d clients and users", i+1, stats, len(subs))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := subs[3].sub.Presence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for id := range res.Clients {
		got = append(got, id)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("presence asked by a client on n3 = %v; want %v", got, want)
	}
}

// checkAPIEverywhere: history, channels and info answer the same through
// every node.
func checkAPIEverywhere(t *testing.T, n []*testkit.Process, channel string) {
	t.Helper()
	for _, q := range []struct {
		method string
		body   map[string]any
	}{
		{"history", map[string]any{"channel": channel, "limit": -1}},
		{"channels", map[string]any{}},
		{"info", map[string]any{}},
	} {
		var first json.RawMessage
		for i, node := range n {
			var out json.RawMessage
			if status := api(t, node, q.method, q.body, &out); status != http.StatusOK {
				t.Fatalf("%s via n%d: status %d %s", q.method, i+1, status, out)
			}
			if q.method == "info" {
				out = stripUptime(t, out)
			}
			if i == 0 {
				first = out
				continue
			}
			if string(out) != string(first) {
				t.Fatalf("%s via n%d differs from n1:\n%s\n%s", q.method, i+1, out, first)
			}
		}
		if q.method == "info" {
			var info struct{ Nodes []struct{ ID string } }
			_ = json.Unmarshal(first, &info)
			if len(info.Nodes) != 3 {
				t.Fatalf("info lists %d nodes; want 3: %s", len(info.Nodes), first)
			}
		}
	}
}

// stripUptime drops the fields of info that change from one call to the
// next.
func stripUptime(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var info struct {
		Nodes []map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	for _, n := range info.Nodes {
		delete(n, "uptime_seconds")
	}
	out, _ := json.Marshal(info)
	return out
}

// checkUserLimitAcrossNodes: with max_connections_per_user = 2, a user
// connected on two nodes is refused on the third, and admitted once one of
// its connections closes.
func checkUserLimitAcrossNodes(t *testing.T, sh *testkit.Shared, n []*testkit.Process) {
	t.Helper()
	connect := func(node *testkit.Process) (*centrifuge.Client, chan centrifuge.DisconnectedEvent, chan struct{}) {
		c := centrifuge.NewJsonClient(node.WSURL, centrifuge.Config{Token: sh.Token("lim")})
		t.Cleanup(c.Close)
		gone := make(chan centrifuge.DisconnectedEvent, 1)
		up := make(chan struct{}, 1)
		c.OnDisconnected(func(e centrifuge.DisconnectedEvent) {
			select {
			case gone <- e:
			default:
			}
		})
		c.OnConnected(func(centrifuge.ConnectedEvent) {
			select {
			case up <- struct{}{}:
			default:
			}
		})
		if err := c.Connect(); err != nil {
			t.Fatal(err)
		}
		return c, gone, up
	}
	wait := func(what string, ch <-chan struct{}) {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not connected", what)
		}
	}
	c1, _, up1 := connect(n[0])
	wait("first connection of lim on n1", up1)
	_, _, up2 := connect(n[1])
	wait("second connection of lim on n2", up2)
	c3, gone3, up3 := connect(n[2])
	select {
	case e := <-gone3:
		if e.Code != wire.DisconnectConnectionLimit.Code {
			t.Fatalf("third connection of lim on n3 ended with %d %q; want %d", e.Code, e.Reason, wire.DisconnectConnectionLimit.Code)
		}
	case <-up3:
		t.Fatal("a third connection of lim was admitted on n3 with max_connections_per_user = 2 across the cluster")
	case <-time.After(10 * time.Second):
		t.Fatal("third connection of lim on n3: neither admitted nor refused")
	}
	c3.Close()
	c1.Close()
	// The freed slot counts everywhere: a new connection on n3 gets in.
	testkit.Eventually(t, 10*time.Second, func() bool {
		c, gone, up := connect(n[2])
		defer c.Close()
		select {
		case <-up:
			return true
		case <-gone:
			return false
		case <-time.After(5 * time.Second):
			return false
		}
	}, "lim admitted on n3 once a connection on n1 closed")
}

// checkCommandsReachOtherNode: unsubscribe and disconnect issued through
// node 1's API reach a connection on node 3.
func checkCommandsReachOtherNode(t *testing.T, n []*testkit.Process, channel string, target *subscriber, all []*subscriber) {
	t.Helper()
	start := time.Now()
	api(t, n[0], "unsubscribe", map[string]any{"user": "target", "channel": channel}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool {
		target.mu.Lock()
		defer target.mu.Unlock()
		return len(target.unsubscribed) > 0
	}, "unsubscribe through n1 reaches target on n3")
	target.mu.Lock()
	code := target.unsubscribed[0].Code
	target.mu.Unlock()
	if code != wire.UnsubscribeServer {
		t.Fatalf("target unsubscribed with %d; want %d", code, wire.UnsubscribeServer)
	}
	logNumber(t, "unsubscribe through another node's API reached the connection in %s", time.Since(start).Round(time.Millisecond))
	testkit.Eventually(t, 5*time.Second, func() bool {
		for _, id := range presenceClients(t, n[1], channel) {
			if id == target.id() {
				return false
			}
		}
		return true
	}, "target leaves presence after the unsubscribe")

	start = time.Now()
	api(t, n[0], "disconnect", map[string]any{"user": "target", "code": 4501, "reason": "removed by a moderator"}, nil)
	testkit.Eventually(t, 5*time.Second, func() bool {
		target.mu.Lock()
		defer target.mu.Unlock()
		return len(target.disconnected) > 0
	}, "disconnect through n1 reaches target on n3")
	target.mu.Lock()
	d := target.disconnected[0]
	target.mu.Unlock()
	if d.Code != 4501 {
		t.Fatalf("target disconnected with %d %q; want 4501", d.Code, d.Reason)
	}
	logNumber(t, "disconnect through another node's API reached the connection in %s", time.Since(start).Round(time.Millisecond))
	for _, s := range all {
		if s != target {
			s.mu.Lock()
			n := len(s.disconnected)
			s.mu.Unlock()
			if n != 0 {
				t.Fatalf("%s was disconnected too", s.name)
			}
		}
	}
}
