package cluster_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// startNATSCluster runs a three-server NATS cluster with JetStream in the
// test process (a separately started NATS, as users run it) and returns
// the servers.
func startNATSCluster(t *testing.T) []*server.Server {
	t.Helper()
	routes := []string{testkit.FreeAddr(t), testkit.FreeAddr(t), testkit.FreeAddr(t)}
	var routeURLs []*url.URL
	for _, r := range routes {
		routeURLs = append(routeURLs, &url.URL{Scheme: "nats-route", Host: r})
	}
	srvs := make([]*server.Server, 3)
	for i := range srvs {
		host, port := splitAddr(t, routes[i])
		opts := &server.Options{
			ServerName: fmt.Sprintf("nats-%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			NoLog:      true,
			Cluster:    server.ClusterOpts{Name: "external", Host: host, Port: port},
			Routes:     routeURLs,
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(func() {
			s.Shutdown()
			s.WaitForShutdown()
		})
		srvs[i] = s
	}
	for _, s := range srvs {
		if !s.ReadyForConnections(20 * time.Second) {
			t.Fatal("NATS server not ready")
		}
	}
	return srvs
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var port int
	if _, err := fmt.Sscan(addr[i+1:], &port); err != nil {
		t.Fatal(err)
	}
	return addr[:i], port
}

// Nodes using an external NATS cluster by URL, given several seed URLs
// (the first of which is dead): both nodes serve one channel; when the
// NATS server a node is connected to shuts down, the node moves to another
// seed, and every subscriber still ends with every publication exactly
// once, in order.
func TestExternalNATSClusterBySeedURLs(t *testing.T) {
	skipShort(t)
	srvs := startNATSCluster(t)
	seeds := []string{"nats://" + testkit.FreeAddr(t)} // nobody listens there
	for _, s := range srvs {
		seeds = append(seeds, s.ClientURL())
	}
	sh := testkit.NewShared(t, clusterTOML("", "replicas = 3", ""))
	nodes := sh.StartAll(
		testkit.NodeSpec{Name: "x1", Args: []string{"--nats-url", strings.Join(seeds, ",")}},
		testkit.NodeSpec{Name: "x2", Args: []string{"--nats-url", strings.Join(seeds, ",")}},
	)
	for _, n := range nodes {
		waitReady(t, n, 30*time.Second)
	}
	waitNodes(t, nodes, 2)
	const channel = "room:ext"
	subs := []*subscriber{
		subscribe(t, "x1-sub", nodes[0].WSURL, sh.Token("x1-sub"), channel),
		subscribe(t, "x2-sub", nodes[1].WSURL, sh.Token("x2-sub"), channel),
	}
	var mu sync.Mutex
	published := map[uint64]string{}
	publish := func(from, to int) {
		t.Helper()
		for k := from; k <= to; k++ {
			data := fmt.Sprintf(`{"k":%d}`, k)
			var err error
			var off uint64
			deadline := time.Now().Add(30 * time.Second)
			for attempt := 0; time.Now().Before(deadline); attempt++ {
				n := nodes[(k+attempt)%2]
				if off, err = publishAPI(n.BaseURL, n.APIKey, channel, data, fmt.Sprintf("k-%d", k), 5*time.Second); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("publication %d: %v", k, err)
			}
			mu.Lock()
			published[off] = data
			mu.Unlock()
		}
	}
	publish(1, 50)
	for _, s := range subs {
		testkit.Eventually(t, 10*time.Second, func() bool { return s.count() == 50 }, "%s has 50", s.name)
	}
	// Take away a NATS server that a node is connected to: the node
	// reconnects to another seed, and the stream elects a new leader if it
	// led.
	victim := -1
	for i, s := range srvs {
		if s.NumClients() > 0 {
			victim = i
			break
		}
	}
	if victim < 0 {
		t.Fatal("no NATS server has a client: the nodes are not using the external cluster")
	}
	srvs[victim].Shutdown()
	srvs[victim].WaitForShutdown()
	publish(51, 100)
	for _, s := range subs {
		testkit.Eventually(t, 30*time.Second, func() bool { return s.count() >= 100 }, "%s has 100 (has %d)", s.name, s.count())
		if problem := checkExact(s.snapshot(), 1, 100, published); problem != "" {
			t.Fatalf("%s: %s", s.name, problem)
		}
	}
	for _, n := range nodes {
		waitReady(t, n, 30*time.Second)
	}
}
