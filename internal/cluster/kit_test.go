package cluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// skipShort skips tests that start several processes under -short.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several liveroom processes; skipped with -short")
	}
}

// clusterTOML is the config every test node shares: small timeouts so the
// tests are fast, and no per-address or accept-rate limits (every test
// client comes from 127.0.0.1). client and cluster add lines to [client]
// and [cluster]; tables adds tables at the end.
func clusterTOML(client, cluster, tables string) string {
	return `
[client]
max_connections_per_ip = 0
accept_rate = 0
` + client + `

[presence]
ttl = "60s"

[cluster]
ping_interval = "500ms"
node_timeout = "3s"
no_advertise = true
` + cluster + `

[shutdown]
drain_window = "100ms"

` + tables
}

// routeArgs returns each node's cluster flags for a full mesh: every node
// lists every node, itself included, as docs/cluster.md tells users to do
// (which is also what makes replicas 3 automatic). routes[i][j] is how node
// i reaches node j: its listen address, or a proxy in front of it.
func routeArgs(listen []string, routes [][]string) [][]string {
	out := make([][]string, len(listen))
	for i := range listen {
		urls := make([]string, len(routes[i]))
		for j, r := range routes[i] {
			urls[j] = "nats-route://" + r
		}
		out[i] = []string{"--cluster-listen", listen[i], "--routes", strings.Join(urls, ",")}
	}
	return out
}

// startThree starts a three-node cluster n1, n2, n3 whose routes go
// straight to each other, and waits until every node is ready.
func startThree(t *testing.T, sh *testkit.Shared) []*testkit.Process {
	t.Helper()
	listen := []string{testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)}
	args := routeArgs(listen, [][]string{listen, listen, listen})
	nodes := sh.StartAll(
		testkit.NodeSpec{Name: "n1", Args: args[0]},
		testkit.NodeSpec{Name: "n2", Args: args[1]},
		testkit.NodeSpec{Name: "n3", Args: args[2]},
	)
	for _, n := range nodes {
		waitReady(t, n, 30*time.Second)
	}
	waitNodes(t, nodes, len(nodes))
	return nodes
}

// waitNodes waits until every node's info API lists want nodes: they have
// heard each other's heartbeats.
func waitNodes(t *testing.T, nodes []*testkit.Process, want int) {
	t.Helper()
	for _, n := range nodes {
		testkit.Eventually(t, 20*time.Second, func() bool {
			var info struct{ Nodes []struct{ ID string } }
			status, err := testkit.CallAPI(n.BaseURL, n.APIKey, "info", map[string]any{}, &info)
			return err == nil && status == http.StatusOK && len(info.Nodes) == want
		}, "%s lists %d nodes", n.BaseURL, want)
	}
}

type readyz struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// getReady reads a node's /readyz.
func getReady(base string) (int, readyz, error) {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return 0, readyz{}, err
	}
	defer resp.Body.Close()
	var r readyz
	err = json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r, err
}

func waitReady(t *testing.T, p *testkit.Process, d time.Duration) {
	t.Helper()
	var last readyz
	testkit.Eventually(t, d, func() bool {
		code, r, err := getReady(p.BaseURL)
		last = r
		return err == nil && code == http.StatusOK
	}, "node %s ready (last: %+v)\n%s", p.BaseURL, last, tail(p.Log(), 30))
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// api calls a node's server API and fails the test on a transport error.
func api(t *testing.T, p *testkit.Process, method string, body, out any) int {
	t.Helper()
	status, err := testkit.CallAPI(p.BaseURL, p.APIKey, method, body, out)
	if err != nil {
		t.Fatalf("%s on %s: %v", method, p.BaseURL, err)
	}
	return status
}

// metricValue sums a Prometheus metric's samples whose labels contain
// every one of labels ("name=\"value\"").
func metricValue(base, name string, labels ...string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum := 0.0
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(line, l) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, err
		}
		sum += v
		found = true
	}
	if !found {
		return 0, fmt.Errorf("no %s%v in /metrics of %s", name, labels, base)
	}
	return sum, sc.Err()
}

// streamLeader asks a node's metrics which server leads stream.
func streamLeader(base, stream string) (string, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	prefix := `liveroom_engine_stream_leader{leader="`
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) && strings.Contains(line, `stream="`+stream+`"`) {
			rest := strings.TrimPrefix(line, prefix)
			return rest[:strings.IndexByte(rest, '"')], nil
		}
	}
	return "", fmt.Errorf("no leader for %s yet", stream)
}

// received is one publication as a subscriber saw it.
type received struct {
	Offset uint64
	Data   string
}

// subscriber is a centrifuge-go client subscribed to one channel that
// keeps everything it is told.
type subscriber struct {
	name    string
	client  *centrifuge.Client
	sub     *centrifuge.Subscription
	channel string

	mu           sync.Mutex
	clientID     string // of the current connection
	pubs         []received
	subscribed   []centrifuge.SubscribedEvent
	subscribedAt []time.Time
	unsubscribed []centrifuge.UnsubscribedEvent
	disconnected []centrifuge.DisconnectedEvent
	messages     [][]byte
	leaves       []string // client ids
	joins        []string
}

// subscribe connects a client to url with token and subscribes it to
// channel, waiting until it is subscribed.
func subscribe(t *testing.T, name, url, token, channel string) *subscriber {
	t.Helper()
	s := newSubscriber(t, name, url, token, channel)
	s.start(t)
	return s
}

func newSubscriber(t *testing.T, name, url, token, channel string) *subscriber {
	t.Helper()
	c := centrifuge.NewJsonClient(url, centrifuge.Config{
		Token:             token,
		Name:              name,
		MinReconnectDelay: 50 * time.Millisecond,
		MaxReconnectDelay: 500 * time.Millisecond,
	})
	s := &subscriber{name: name, client: c, channel: channel}
	c.OnConnected(func(e centrifuge.ConnectedEvent) {
		s.mu.Lock()
		s.clientID = e.ClientID
		s.mu.Unlock()
	})
	c.OnDisconnected(func(e centrifuge.DisconnectedEvent) {
		s.mu.Lock()
		s.disconnected = append(s.disconnected, e)
		s.mu.Unlock()
	})
	c.OnMessage(func(e centrifuge.MessageEvent) {
		s.mu.Lock()
		s.messages = append(s.messages, e.Data)
		s.mu.Unlock()
	})
	sub, err := c.NewSubscription(channel, centrifuge.SubscriptionConfig{Recoverable: true, Positioned: true, JoinLeave: true})
	if err != nil {
		t.Fatal(err)
	}
	s.sub = sub
	sub.OnPublication(func(e centrifuge.PublicationEvent) {
		s.mu.Lock()
		s.pubs = append(s.pubs, received{Offset: e.Offset, Data: string(e.Data)})
		s.mu.Unlock()
	})
	sub.OnSubscribed(func(e centrifuge.SubscribedEvent) {
		s.mu.Lock()
		s.subscribed = append(s.subscribed, e)
		s.subscribedAt = append(s.subscribedAt, time.Now())
		s.mu.Unlock()
	})
	sub.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) {
		s.mu.Lock()
		s.unsubscribed = append(s.unsubscribed, e)
		s.mu.Unlock()
	})
	sub.OnJoin(func(e centrifuge.JoinEvent) {
		s.mu.Lock()
		s.joins = append(s.joins, e.Client)
		s.mu.Unlock()
	})
	sub.OnLeave(func(e centrifuge.LeaveEvent) {
		s.mu.Lock()
		s.leaves = append(s.leaves, e.Client)
		s.mu.Unlock()
	})
	t.Cleanup(c.Close)
	return s
}

func (s *subscriber) start(t *testing.T) {
	t.Helper()
	if err := s.client.Connect(); err != nil {
		t.Fatal(err)
	}
	if err := s.sub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.subscribed) > 0
	}, "%s subscribed to %s", s.name, s.channel)
}

func (s *subscriber) snapshot() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.pubs...)
}

func (s *subscriber) id() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientID
}

func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pubs)
}

// checkExact checks that got holds offsets from..to exactly once each, in
// order, and, when want is given, with the data published at each offset.
// It returns a description of the first problem, or "".
func checkExact(got []received, from, to uint64, want map[uint64]string) string {
	next := from
	for i, r := range got {
		if r.Offset != next {
			return fmt.Sprintf("publication %d has offset %d; want %d (lost or duplicated)", i, r.Offset, next)
		}
		if want != nil {
			if w, ok := want[r.Offset]; ok && w != r.Data {
				return fmt.Sprintf("offset %d carries %s; the publisher stored %s there", r.Offset, r.Data, w)
			}
		}
		next++
	}
	if next != to+1 {
		return fmt.Sprintf("received up to offset %d; want %d", next-1, to)
	}
	return ""
}

// lossAndDuplicates counts, for one subscriber, the acknowledged
// publications it never received and those it received more than once.
func lossAndDuplicates(got []received, acked map[string]uint64) (lost, dup int) {
	seen := make(map[string]int, len(got))
	for _, r := range got {
		seen[r.Data]++
	}
	for data := range acked {
		switch n := seen[data]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	return lost, dup
}

// presenceClients returns the client ids in a channel's presence through
// one node's API, sorted.
func presenceClients(t *testing.T, p *testkit.Process, channel string) []string {
	t.Helper()
	ids, err := tryPresence(p, channel)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// tryPresence is presenceClients for polling: a temporary error (the
// engine electing a leader) is returned, not fatal.
func tryPresence(p *testkit.Process, channel string) ([]string, error) {
	var out struct {
		Presence map[string]json.RawMessage `json:"presence"`
	}
	status, err := testkit.CallAPI(p.BaseURL, p.APIKey, "presence", map[string]any{"channel": channel}, &out)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("presence via %s: status %d", p.BaseURL, status)
	}
	ids := make([]string, 0, len(out.Presence))
	for id := range out.Presence {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// publishAPI publishes data with an idempotency key through a node's API
// and returns the offset.
func publishAPI(base, key, channel, data, idem string, timeout time.Duration) (uint64, error) {
	var out struct {
		Offset uint64 `json:"offset"`
		Error  *struct {
			Code    uint32 `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body := map[string]any{"channel": channel, "data": json.RawMessage(data)}
	if idem != "" {
		body["idempotency_key"] = idem
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	status, err := callAPICtx(ctx, base, key, "publish", body, &out)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK || out.Error != nil {
		return 0, fmt.Errorf("status %d: %+v", status, out.Error)
	}
	return out.Offset, nil
}

func callAPICtx(ctx context.Context, base, key, method string, body, out any) (int, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/"+method, strings.NewReader(string(data)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// logNumber prints a measured number so runs can be copied into
// docs/benchmarks.md; it also goes to LIVEROOM_CLUSTER_NUMBERS when set.
func logNumber(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log("NUMBER " + line)
	if path := os.Getenv("LIVEROOM_CLUSTER_NUMBERS"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s %s: %s\n", time.Now().Format(time.RFC3339), t.Name(), line)
			f.Close()
		}
	}
}
