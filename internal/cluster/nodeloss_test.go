package cluster_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// apiPublisher publishes {"seq":k} at a steady pace through the server
// API with idempotency keys, trying the next node when one fails (the
// same key, so a retry of a stored publication stores nothing). It records
// when each publication was first tried and when it was acknowledged.
type apiPublisher struct {
	channel string
	nodes   func() []*testkit.Process
	every   time.Duration
	attempt time.Duration // timeout of one try through one node

	mu      sync.Mutex
	acked   map[uint64]string // offset → data
	byData  map[string]uint64 // data → offset
	started []time.Time       // by seq-1
	ackedAt []time.Time       // by seq-1
	failed  []string
	stop    chan struct{}
	done    chan struct{}
}

func startPublisher(channel string, every, attempt time.Duration, nodes func() []*testkit.Process) *apiPublisher {
	p := &apiPublisher{channel: channel, nodes: nodes, every: every, attempt: attempt,
		acked: map[uint64]string{}, byData: map[string]uint64{}, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *apiPublisher) run() {
	defer close(p.done)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for seq := 1; ; seq++ {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		data := fmt.Sprintf(`{"seq":%d}`, seq)
		key := fmt.Sprintf("seq-%d", seq)
		start := time.Now()
		p.mu.Lock()
		p.started = append(p.started, start)
		p.mu.Unlock()
		var offset uint64
		var err error
		for attempt := 0; time.Since(start) < 40*time.Second; attempt++ {
			nodes := p.nodes()
			node := nodes[(seq+attempt)%len(nodes)]
			if offset, err = publishAPI(node.BaseURL, node.APIKey, p.channel, data, key, p.attempt); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.mu.Lock()
		if err != nil {
			p.failed = append(p.failed, fmt.Sprintf("seq %d: %v", seq, err))
		} else {
			p.acked[offset] = data
			p.byData[data] = offset
		}
		p.ackedAt = append(p.ackedAt, time.Now())
		p.mu.Unlock()
	}
}

func (p *apiPublisher) ackedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

func (p *apiPublisher) halt() {
	close(p.stop)
	<-p.done
}

// stall returns the longest time one publication waited for its
// acknowledgement, and the longest time between two acknowledgements.
func (p *apiPublisher) stall() (longestWait, longestGap time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.ackedAt {
		longestWait = max(longestWait, p.ackedAt[i].Sub(p.started[i]))
		if i > 0 {
			longestGap = max(longestGap, p.ackedAt[i].Sub(p.ackedAt[i-1]))
		}
	}
	return longestWait, longestGap
}

// Node loss under load: three nodes, clients spread over them (each behind
// a balancer that prefers its node), a publisher at a steady pace through
// the API. The node leading the channel's stream is killed with SIGKILL:
// no acknowledged publication is lost or duplicated for any subscriber,
// the dead node's clients reconnect elsewhere and recover exactly, the
// survivors' subscribers get exactly one leave per dead connection within
// the node timeout, and the node, restarted, rejoins and serves.
func TestNodeLossUnderLoad(t *testing.T) {
	skipShort(t)
	sh := testkit.NewShared(t, clusterTOML("", "", ""))
	n := startThree(t, sh)
	const channel = "room:loss"
	// Subscribe first on every node so the stream exists everywhere.
	var subs []*subscriber
	var lbs []*testkit.Balancer
	for i := range n {
		lb := testkit.NewBalancer(t, n[i].BaseURL, n[(i+1)%3].BaseURL, n[(i+2)%3].BaseURL)
		lbs = append(lbs, lb)
		for k := range 2 {
			name := fmt.Sprintf("n%d-s%d", i+1, k)
			subs = append(subs, subscribe(t, name, lb.WSURL(), sh.Token(name), channel))
		}
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return len(presenceClients(t, n[0], channel)) == len(subs) },
		"every subscriber in presence")

	var mu sync.Mutex
	live := n
	pub := startPublisher(channel, 20*time.Millisecond, 15*time.Second, func() []*testkit.Process {
		mu.Lock()
		defer mu.Unlock()
		return live
	})
	testkit.Eventually(t, 20*time.Second, func() bool { return pub.ackedCount() >= 50 }, "first 50 publications acknowledged")

	// Kill the node that leads the channel's stream: the worst case, a
	// leader election while publications keep coming.
	var leader string
	testkit.Eventually(t, 10*time.Second, func() bool {
		var err error
		leader, err = streamLeader(n[0].BaseURL, "lr_ns_room")
		return err == nil
	}, "stream leader known")
	victim := int(leader[1] - '1')
	if leader != fmt.Sprintf("n%d", victim+1) {
		t.Fatalf("unexpected leader name %q", leader)
	}
	var victimSubs, others []*subscriber
	var victimIDs []string
	for i, s := range subs {
		if i/2 == victim {
			victimSubs = append(victimSubs, s)
			victimIDs = append(victimIDs, s.id())
		} else {
			others = append(others, s)
		}
	}
	mu.Lock()
	live = slices.Delete(slices.Clone(n), victim, victim+1)
	mu.Unlock()
	killedAt := time.Now()
	n[victim].Kill9()
	t.Logf("killed %s (leader of lr_ns_room) after %d acknowledged publications", leader, pub.ackedCount())

	// Presence forgets the dead node's connections (C15 across nodes).
	survivor := live[0]
	var presenceGone time.Duration
	testkit.Eventually(t, 20*time.Second, func() bool {
		ids, err := tryPresence(survivor, channel)
		if err != nil {
			return false
		}
		for _, id := range victimIDs {
			if slices.Contains(ids, id) {
				return false
			}
		}
		presenceGone = time.Since(killedAt)
		return true
	}, "the dead node's connections leave presence (long before the 60s presence TTL)")

	// The dead node's clients are back, on other nodes, recovered.
	var backAndRecovered time.Duration
	for _, s := range victimSubs {
		deadline := time.Now().Add(30 * time.Second)
		for {
			s.mu.Lock()
			done := len(s.subscribed) >= 2
			if done {
				backAndRecovered = max(backAndRecovered, s.subscribedAt[len(s.subscribedAt)-1].Sub(killedAt))
			}
			events, disc, unsub := fmt.Sprintf("%+v", s.subscribed), fmt.Sprintf("%+v", s.disconnected), fmt.Sprintf("%+v", s.unsubscribed)
			s.mu.Unlock()
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not resubscribe elsewhere within 30s: subscribed %s, disconnected %s, unsubscribed %s", s.name, events, disc, unsub)
			}
			time.Sleep(10 * time.Millisecond)
		}
		s.mu.Lock()
		last := s.subscribed[len(s.subscribed)-1]
		s.mu.Unlock()
		if !last.WasRecovering || !last.Recovered {
			t.Fatalf("%s resubscribed with was_recovering %v, recovered %v; want both true", s.name, last.WasRecovering, last.Recovered)
		}
	}

	acked := pub.ackedCount()
	testkit.Eventually(t, 60*time.Second, func() bool { return pub.ackedCount() >= acked+100 }, "100 more publications after the kill")
	pub.halt()
	pub.mu.Lock()
	failed := append([]string(nil), pub.failed...)
	ackedByOffset := make(map[uint64]string, len(pub.acked))
	for k, v := range pub.acked {
		ackedByOffset[k] = v
	}
	ackedByData := make(map[string]uint64, len(pub.byData))
	for k, v := range pub.byData {
		ackedByData[k] = v
	}
	pub.mu.Unlock()
	if len(failed) > 0 {
		t.Fatalf("%d publications never acknowledged: %v", len(failed), failed[:min(5, len(failed))])
	}
	top := uint64(len(ackedByOffset))
	for off := uint64(1); off <= top; off++ {
		if _, ok := ackedByOffset[off]; !ok {
			t.Fatalf("acknowledged offsets are not 1..%d: %d missing", top, off)
		}
	}
	totalLost, totalDup := 0, 0
	for _, s := range subs {
		testkit.Eventually(t, 30*time.Second, func() bool { return s.count() >= int(top) },
			"%s received %d of %d", s.name, s.count(), top)
		got := s.snapshot()
		lost, dup := lossAndDuplicates(got, ackedByData)
		totalLost += lost
		totalDup += dup
		if problem := checkExact(got, 1, top, ackedByOffset); problem != "" {
			t.Errorf("%s: %s", s.name, problem)
		}
	}
	if totalLost != 0 || totalDup != 0 {
		t.Fatalf("lost %d and duplicated %d acknowledged publications over %d subscribers", totalLost, totalDup, len(subs))
	}
	for _, s := range others {
		s.mu.Lock()
		resubscribed, disconnected := len(s.subscribed), len(s.disconnected)
		s.mu.Unlock()
		if resubscribed != 1 || disconnected != 0 {
			t.Errorf("%s on a surviving node subscribed %d times and was disconnected %d times; want once and never", s.name, resubscribed, disconnected)
		}
	}
	// Exactly one leave per dead connection for every subscriber that
	// stayed (counted after everything above, so a late duplicate shows).
	for _, s := range others {
		s.mu.Lock()
		leaves := append([]string(nil), s.leaves...)
		s.mu.Unlock()
		for _, id := range victimIDs {
			if c := countOf(leaves, id); c != 1 {
				t.Errorf("%s got %d leaves for dead connection %s; want exactly 1", s.name, c, id)
			}
		}
	}
	wait, gap := pub.stall()
	logNumber(t, "node loss: %d publications acknowledged, 0 lost, 0 duplicated over %d subscribers", top, len(subs))
	logNumber(t, "node loss: publish stall during the leader election: longest wait for one publication %s, longest gap between acknowledgements %s",
		wait.Round(time.Millisecond), gap.Round(time.Millisecond))
	logNumber(t, "node loss: killed node's clients back and recovered on other nodes %s after the kill", backAndRecovered.Round(time.Millisecond))
	logNumber(t, "node loss: killed node's connections left presence %s after the kill (node_timeout 3s)", presenceGone.Round(time.Millisecond))

	// The node restarts under the same name with its data, rejoins and
	// serves.
	restarted := n[victim].Restart()
	waitReady(t, restarted, 60*time.Second)
	mu.Lock()
	live = append(live, restarted)
	nodes := slices.Clone(live)
	mu.Unlock()
	waitNodes(t, nodes, 3)
	fresh := subscribe(t, "fresh", restarted.WSURL, sh.Token("fresh"), channel)
	if _, err := publishAPI(survivor.BaseURL, survivor.APIKey, channel, `{"after":"restart"}`, "", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		got := fresh.snapshot()
		return len(got) == 1 && got[0].Offset == top+1
	}, "a client on the restarted node receives the next publication (offset %d)", top+1)
	// Reads through a node are served by its own replica, which applies
	// a write a moment after the leader delivered it.
	testkit.Eventually(t, 5*time.Second, func() bool {
		var h struct {
			Offset uint64 `json:"offset"`
		}
		status, err := testkit.CallAPI(restarted.BaseURL, restarted.APIKey, "history", map[string]any{"channel": channel, "limit": 0}, &h)
		return err == nil && status == http.StatusOK && h.Offset == top+1
	}, "history via the restarted node ends at offset %d", top+1)
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}
