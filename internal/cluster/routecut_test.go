package cluster_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// The route between the stream's leader and another node is cut without a
// close (a proxy stops forwarding in both directions) for longer than it
// takes NATS to declare the route stale, then healed: once healed, every
// subscriber on every node has every acknowledged publication exactly
// once, in order.
func TestRouteCutAndHeal(t *testing.T) {
	skipShort(t)
	// Nodes tell each other an address nobody listens on, so they use only
	// the routes they were given: all through the proxies.
	sh := testkit.NewShared(t, clusterTOML("", fmt.Sprintf("advertise = %q", testkit.FreeAddr(t)), ""))
	listen := []string{testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)}
	// proxy[i][j] carries node i's route to node j.
	proxy := make([][]*testkit.Proxy, 3)
	routes := make([][]string, 3)
	for i := range 3 {
		proxy[i] = make([]*testkit.Proxy, 3)
		routes[i] = make([]string, 3)
		for j := range 3 {
			if i == j {
				routes[i][j] = listen[j]
				continue
			}
			proxy[i][j] = testkit.NewProxy(t, listen[j])
			routes[i][j] = proxy[i][j].Addr()
		}
	}
	args := routeArgs(listen, routes)
	n := sh.StartAll(
		testkit.NodeSpec{Name: "n1", Args: args[0]},
		testkit.NodeSpec{Name: "n2", Args: args[1]},
		testkit.NodeSpec{Name: "n3", Args: args[2]},
	)
	for _, node := range n {
		waitReady(t, node, 30*time.Second)
	}
	waitNodes(t, n, 3)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for i, node := range n {
			for _, line := range strings.Split(node.Log(), "\n") {
				if strings.Contains(line, "node") && strings.Contains(line, "component=hub") || strings.Contains(line, "NATS link") {
					t.Logf("n%d: %s", i+1, line)
				}
			}
		}
	})
	const channel = "room:cut"
	var subs []*subscriber
	for i, node := range n {
		for k := range 2 {
			name := fmt.Sprintf("n%d-s%d", i+1, k)
			subs = append(subs, subscribe(t, name, node.WSURL, sh.Token(name), channel))
		}
	}
	pub := startPublisher(channel, 20*time.Millisecond, 2*time.Second, func() []*testkit.Process { return n })
	testkit.Eventually(t, 20*time.Second, func() bool { return pub.ackedCount() >= 30 }, "first 30 publications acknowledged")

	var leader string
	testkit.Eventually(t, 10*time.Second, func() bool {
		var err error
		leader, err = streamLeader(n[0].BaseURL, "lr_ns_room")
		return err == nil
	}, "stream leader known")
	l := int(leader[1] - '1')
	x := (l + 1) % 3
	proxy[l][x].Cut()
	proxy[x][l].Cut()
	cutAt := time.Now()
	ackedAtCut := pub.ackedCount()
	t.Logf("cut the route between %s (stream leader) and n%d after %d publications", leader, x+1, ackedAtCut)
	// Longer than the stale-route detection (3 pings 500ms apart), with
	// publications going on.
	testkit.Eventually(t, 30*time.Second, func() bool {
		return time.Since(cutAt) > 4*time.Second && pub.ackedCount() >= ackedAtCut+20
	}, "publications continue through the other nodes during the cut")
	// The route really broke (NATS declared it stale): each side of the
	// cut sees one other node instead of two.
	for _, i := range []int{l, x} {
		testkit.Eventually(t, 20*time.Second, func() bool {
			v, err := metricValue(n[i].BaseURL, "liveroom_nats_routes")
			return err == nil && v == 1
		}, "n%d sees its route across the cut as down", i+1)
	}
	proxy[l][x].Heal()
	proxy[x][l].Heal()
	cutFor := time.Since(cutAt)
	for _, i := range []int{l, x} {
		testkit.Eventually(t, 20*time.Second, func() bool {
			v, err := metricValue(n[i].BaseURL, "liveroom_nats_routes")
			return err == nil && v == 2
		}, "n%d has its route across the cut back", i+1)
	}
	ackedAtHeal := pub.ackedCount()
	testkit.Eventually(t, 30*time.Second, func() bool { return pub.ackedCount() >= ackedAtHeal+50 }, "publications after the heal")
	pub.halt()
	pub.mu.Lock()
	failed := len(pub.failed)
	acked := make(map[uint64]string, len(pub.acked))
	byData := make(map[string]uint64, len(pub.byData))
	for k, v := range pub.acked {
		acked[k] = v
		byData[v] = k
	}
	pub.mu.Unlock()
	if failed > 0 {
		t.Fatalf("%d publications never acknowledged", failed)
	}
	top := uint64(len(acked))
	for _, s := range subs {
		testkit.Eventually(t, 30*time.Second, func() bool { return s.count() >= int(top) }, "%s received %d of %d", s.name, s.count(), top)
		got := s.snapshot()
		if lost, dup := lossAndDuplicates(got, byData); lost != 0 || dup != 0 {
			t.Errorf("%s: lost %d, duplicated %d", s.name, lost, dup)
		}
		if problem := checkExact(got, 1, top, acked); problem != "" {
			t.Errorf("%s: %s", s.name, problem)
		}
		s.mu.Lock()
		resub := len(s.subscribed)
		s.mu.Unlock()
		if resub != 1 {
			t.Errorf("%s had to resubscribe (%d subscribes): the gap was visible to it", s.name, resub)
		}
	}
	wait, gap := pub.stall()
	checkIsolatedNode(t, n, proxy, subs, (x+1)%3)
	logNumber(t, "route cut without close for %s: %d publications, 0 lost, 0 duplicated, no subscriber resubscribed; longest publish wait %s, longest gap between acknowledgements %s (a try through a node cut from the leader is given up after 2s and retried through another)",
		cutFor.Round(100*time.Millisecond), top, wait.Round(time.Millisecond), gap.Round(time.Millisecond))
}

// checkIsolatedNode cuts every route of node x: its link is down, so its
// clients get the link status push with state "down" and its /readyz says
// why; publications made meanwhile through the other nodes reach x's
// subscribers, exactly once and in order, when the routes heal, followed
// by state "up".
func checkIsolatedNode(t *testing.T, n []*testkit.Process, proxy [][]*testkit.Proxy, subs []*subscriber, x int) {
	t.Helper()
	var cut []*testkit.Proxy
	for i := range 3 {
		if i != x {
			cut = append(cut, proxy[i][x], proxy[x][i])
		}
	}
	for _, p := range cut {
		p.Cut()
	}
	mine := subs[2*x : 2*x+2]
	for _, s := range mine {
		testkit.Eventually(t, 20*time.Second, func() bool { return len(sdkStatuses(s)) == 1 }, "%s told its node's link is down", s.name)
		if st := sdkStatuses(s)[0]; st["state"] != "down" {
			t.Fatalf("%s got %v; want state down", s.name, st)
		}
	}
	code, ready, err := getReady(n[x].BaseURL)
	if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(ready.Reason, "no route") {
		t.Fatalf("isolated n%d /readyz = %d %+v %v; want 503 saying it has no route", x+1, code, ready, err)
	}
	other := n[(x+1)%3]
	top := uint64(subs[0].count())
	for k := range 10 {
		if _, err := publishAPI(other.BaseURL, other.APIKey, "room:cut", fmt.Sprintf(`{"isolated":%d}`, k), fmt.Sprintf("iso-%d", k), 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range cut {
		p.Heal()
	}
	for _, s := range subs {
		testkit.Eventually(t, 30*time.Second, func() bool { return s.count() == int(top)+10 },
			"%s has the publications made while n%d was isolated\n%s", s.name, x+1, tail(n[x].Log(), 40))
		if problem := checkExact(s.snapshot(), 1, top+10, nil); problem != "" {
			t.Fatalf("%s: %s", s.name, problem)
		}
	}
	for _, s := range mine {
		testkit.Eventually(t, 20*time.Second, func() bool { return len(sdkStatuses(s)) == 2 }, "%s told its node's link is up", s.name)
		if st := sdkStatuses(s)[1]; st["state"] != "up" {
			t.Fatalf("%s got %v; want state up", s.name, st)
		}
	}
	waitReady(t, n[x], 20*time.Second)

	// Presence: the majority side counted node x as gone (its clients got
	// leaves there, decision 0012) and x re-put them when its link came
	// back; nobody removed the majority's own clients, although x saw them
	// go silent too and tried to, until it heard them again.
	var want []string
	majority := map[string]bool{}
	for i, s := range subs {
		want = append(want, s.id())
		if i/2 != x {
			majority[s.id()] = true
		}
	}
	slices.Sort(want)
	testkit.Eventually(t, 20*time.Second, func() bool {
		ids, err := tryPresence(n[x], "room:cut")
		return err == nil && slices.Equal(ids, want)
	}, "presence lists every subscriber again after n%d's routes healed", x+1)
	// A wrong removal by x would have sent its leaves during the checks
	// above, which took seconds after the heal.
	for _, s := range subs {
		s.mu.Lock()
		for _, id := range s.leaves {
			if majority[id] {
				t.Errorf("%s got a leave for %s, a client of a node that stayed in the majority", s.name, id)
			}
		}
		s.mu.Unlock()
	}
}
