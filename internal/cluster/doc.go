// Package cluster holds the tests of liveroom running as several processes
// on loopback (design tier 4): a cluster of three nodes, nodes using an
// external NATS cluster, node loss under load, a route cut without a
// close, and edge nodes behind a leaf link that goes down and up. Links
// are cut with the TCP proxies of internal/testkit; nodes are the real
// binary, built once per test run. There is no non-test code here.
package cluster
