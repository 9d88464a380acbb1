package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// TestNodesWithOtherKeysAreReported: a node started with secrets of its
// own (another data directory, or another [[auth.keys]] and api.key)
// joined a cluster and nothing said so; users behind a load balancer were
// refused by one node in three. Nodes announce fingerprints of their keys,
// and each reports, as errors and in a metric, a node whose keys differ;
// nodes with the same keys report nothing about each other.
func TestNodesWithOtherKeysAreReported(t *testing.T) {
	natsURL := testkit.StartNATS(t)
	shared := t.TempDir() // a and b: the same generated secrets
	start := func(name, dir string) *testkit.Node {
		return testkit.Start(t, func(c *config.Config) {
			c.NATSURL, c.NodeName, c.DataDir = natsURL, name, dir
			c.Cluster.NodeTimeout = config.Duration(2 * time.Second)
		})
	}
	a, b := start("node-a", shared), start("node-b", shared)
	testkit.Eventually(t, 20*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		nodes, err := a.Server.Hub().Info(ctx)
		return err == nil && len(nodes) == 2
	}, "node-a hears node-b")

	c := start("node-c", t.TempDir()) // secrets of its own
	mismatches := func(n *testkit.Node) int64 { return n.Server.Hub().Stats().KeyMismatches }
	// With node-c: its API key and its token key differ, two problems for
	// each node that hears it, and node-c hears two such nodes.
	testkit.Eventually(t, 20*time.Second, func() bool {
		return mismatches(a) >= 2 && mismatches(b) >= 2 && mismatches(c) >= 4
	}, "every node reports node-c's keys")
	if ma, mb, mc := mismatches(a), mismatches(b), mismatches(c); ma != 2 || mb != 2 || mc != 4 {
		t.Fatalf("mismatches reported: node-a %d, node-b %d, node-c %d; want 2, 2 (node-c only) and 4", ma, mb, mc)
	}
}
