package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liveroom-dev/liveroom/internal/engine"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
)

// engineCollector reads the engine's link state, the embedded server's
// leaf-link traffic and the stream leaders at scrape time.
type engineCollector struct{ eng *engine.Engine }

var (
	descLinkUp       = desc("engine_link_up", "1 while this node's NATS link (to the core, the other nodes or the NATS servers) is up.")
	descRoutes       = desc("nats_routes", "Other cluster nodes this node's NATS server has a route to.")
	descLeafMsgs     = desc("nats_leaf_messages", "Messages over a leaf link of the embedded NATS server since that link connected, by direction.", "leaf", "direction")
	descLeafBytes    = desc("nats_leaf_bytes", "Payload bytes over a leaf link of the embedded NATS server since that link connected, by direction.", "leaf", "direction")
	descStreamLeader = desc("engine_stream_leader", "1 for the server currently leading each stream (no series while a stream has no leader).", "stream", "leader")
	descHistoryRead  = desc("engine_history_messages_read_total", "Stored messages this node read from the streams for history and recovery (scanned, and read by the probes that find where a read starts).")
)

func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLinkUp
	ch <- descRoutes
	ch <- descLeafMsgs
	ch <- descLeafBytes
	ch <- descStreamLeader
	ch <- descHistoryRead
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	up := 0.0
	if c.eng.Link().Up {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(descLinkUp, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(descRoutes, prometheus.GaugeValue, float64(c.eng.Peers()))
	ch <- prometheus.MustNewConstMetric(descHistoryRead, prometheus.CounterValue, float64(c.eng.HistoryMessagesRead()))
	// Per-connection counters restart when a link reconnects: gauges.
	for _, l := range c.eng.LeafStats() {
		ch <- prometheus.MustNewConstMetric(descLeafMsgs, prometheus.GaugeValue, float64(l.InMsgs), l.Name, "in")
		ch <- prometheus.MustNewConstMetric(descLeafMsgs, prometheus.GaugeValue, float64(l.OutMsgs), l.Name, "out")
		ch <- prometheus.MustNewConstMetric(descLeafBytes, prometheus.GaugeValue, float64(l.InBytes), l.Name, "in")
		ch <- prometheus.MustNewConstMetric(descLeafBytes, prometheus.GaugeValue, float64(l.OutBytes), l.Name, "out")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for stream, leader := range c.eng.StreamLeaders(ctx) {
		if leader != "" {
			ch <- prometheus.MustNewConstMetric(descStreamLeader, prometheus.GaugeValue, 1, stream, leader)
		}
	}
}

// limitCollector reads the connection counts of decision 0025 at scrape
// time: the HTTP listener's (every accepted connection) and the clients'.
type limitCollector struct{ tcp, clients *connlimit.Limit }

var (
	descListenerOpen    = desc("listener_connections", "Connections the HTTP listener holds now (clients and plain HTTP), counted against the descriptors.")
	descListenerLimit   = desc("listener_connections_limit", "The most connections the HTTP listener holds at once (the open-file limit less the store's reserve; 0: none).")
	descListenerRefused = desc("listener_refused_total", "Connections answered 503 and closed at accept because the listener held its limit.")
	descClientLimit     = desc("client_connections_limit", "The most client connections (WebSocket, SSE, HTTP-streaming) at once (0: none).")
	descClientRefused   = desc("client_connections_refused_total", "WebSocket upgrades and streams refused with 503 because clients held their share.")
)

func (c limitCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descListenerOpen
	ch <- descListenerLimit
	ch <- descListenerRefused
	ch <- descClientLimit
	ch <- descClientRefused
}

func (c limitCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descListenerOpen, prometheus.GaugeValue, float64(c.tcp.Open()))
	ch <- prometheus.MustNewConstMetric(descListenerLimit, prometheus.GaugeValue, float64(c.tcp.Max()))
	ch <- prometheus.MustNewConstMetric(descListenerRefused, prometheus.CounterValue, float64(c.tcp.Refused()))
	ch <- prometheus.MustNewConstMetric(descClientLimit, prometheus.GaugeValue, float64(c.clients.Max()))
	ch <- prometheus.MustNewConstMetric(descClientRefused, prometheus.CounterValue, float64(c.clients.Refused()))
}
