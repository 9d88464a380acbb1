package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/transport/httpstream"
	"github.com/liveroom-dev/liveroom/internal/transport/websocket"
)

// metrics is the node's Prometheus registry: histograms observed on the hot
// path (hub.Observer) and counters read from the hub and the transport at
// scrape time, so the hot path pays only for the histograms.
type metrics struct {
	reg      *prometheus.Registry
	commands *prometheus.HistogramVec
	publish  *prometheus.HistogramVec
	// refused counts WebSocket upgrades and streams refused before they
	// reached their transport, by reason (see Server.admission).
	refused *prometheus.CounterVec
}

// Reasons of liveroom_connections_refused_total.
const (
	refusedAcceptRate   = "accept_rate"   // client.accept_rate (503)
	refusedPerIP        = "per_ip"        // client.max_connections_per_ip (429)
	refusedShuttingDown = "shutting_down" // the node drains (503)
	refusedOrigin       = "origin"        // web.allowed_origins (403)
)

// latencyBuckets span 50 µs to 10 s, in seconds.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.00005, 10, 18)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "liveroom", Name: "command_duration_seconds",
			Help:    "Time to run a client command, by command and result code (0 = success).",
			Buckets: latencyBuckets,
		}, []string{"command", "code"}),
		publish: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "liveroom", Name: "engine_publish_duration_seconds",
			Help:    "Time until the engine acknowledged (stored) a publication, by outcome.",
			Buckets: latencyBuckets,
		}, []string{"outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "liveroom", Name: "connections_refused_total",
			Help: "WebSocket upgrades and SSE / HTTP-streaming requests refused before their transport, by reason: " +
				"accept_rate (503), per_ip (429), shutting_down (503), origin (403).",
		}, []string{"reason"}),
	}
	for _, r := range []string{refusedAcceptRate, refusedPerIP, refusedShuttingDown, refusedOrigin} {
		m.refused.WithLabelValues(r) // every reason shows, at 0 until it happens
	}
	m.reg.MustRegister(m.commands, m.publish, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Command implements hub.Observer.
func (m *metrics) Command(kind string, took time.Duration, code uint32) {
	m.commands.WithLabelValues(kind, strconv.FormatUint(uint64(code), 10)).Observe(took.Seconds())
}

// Publish implements hub.Observer.
func (m *metrics) Publish(took time.Duration, failed bool) {
	outcome := "stored"
	if failed {
		outcome = "failed"
	}
	m.publish.WithLabelValues(outcome).Observe(took.Seconds())
}

// watch registers the scrape-time collector of the hub and transport.
func (m *metrics) watch(h *hub.Hub, ws *websocket.Server, hs *httpstream.Server) {
	m.reg.MustRegister(&nodeCollector{hub: h, ws: ws, hs: hs})
}

// nodeCollector reads the hub's and transport's counters at scrape time.
type nodeCollector struct {
	hub *hub.Hub
	ws  *websocket.Server
	hs  *httpstream.Server
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("liveroom_"+name, help, labels, nil)
}

var (
	descConnections     = desc("connections", "Open client connections.")
	descAccepted        = desc("connections_accepted_total", "Connections admitted by the hub.")
	descSubscriptions   = desc("subscriptions", "Client subscriptions on this node.")
	descChannels        = desc("channels", "Channels with state on this node: with subscribers, or lingering for client.channel_linger after the last one left.")
	descCommands        = desc("commands_total", "Client commands received.")
	descPubIn           = desc("publications_in_total", "Publications this node stored or sent.")
	descPubOut          = desc("publications_out_total", "Publications fanned out (once per publication, not per subscriber).")
	descDeliveries      = desc("deliveries_total", "Publications queued to subscribers.")
	descFramesOut       = desc("transport_frames_out_total", "Transport messages written by the hub.")
	descOverflows       = desc("queue_overflows_total", "Connections closed as slow consumers (3008).")
	descQueued          = desc("queued_bytes", "Bytes waiting in connection queues.")
	descDisconnects     = desc("disconnects_total", "Connections closed, by disconnect code.", "code")
	descRecoveries      = desc("recoveries_total", "Resubscribes that asked for recovery, by outcome.", "recovered")
	descRecoveryReads   = desc("recovery_stream_reads_total", "Recoveries not covered by the channel's recent publications in memory, which read the stream.")
	descHistoryMemory   = desc("history_from_memory_total", "History pages (with since, or reverse) answered from the channel's recent publications in memory, without a stream read.")
	descLeavesReaped    = desc("presence_leaves_already_announced_total", "Leaves this node did not announce because another node's reaper had, while this node was taken for dead (a partition, a frozen process).")
	descKeyMismatches   = desc("node_key_mismatches_total", "Differences found between this node's token or API keys and another node's (each logged as an error naming the node): clients or backends are refused by one of the two.")
	descGaps            = desc("stream_gaps_total", "Gaps in a channel's delivery, by outcome.", "outcome")
	descWSHandshakes    = desc("websocket_handshakes_rejected_total", "WebSocket upgrade requests refused.")
	descWSFramesIn      = desc("websocket_frames_in_total", "WebSocket frames received.")
	descWSCloses        = desc("websocket_closes_sent_total", "WebSocket close frames sent, by close code.", "code")
	descWSMaxPartialMsg = desc("websocket_max_partial_message_bytes", "Largest buffer held for one message arriving in pieces.")
	descWSPongsDeferred = desc("websocket_pongs_deferred_total", "Pongs that waited because more than 64 KiB already waited for the client's socket.")
	descStreamsOpen     = desc("streams_open", "Open SSE and HTTP-streaming streams.")
	descStreamsOpened   = desc("streams_opened_total", "SSE and HTTP-streaming streams opened, by transport.", "transport")
	descStreamsRefused  = desc("stream_requests_refused_total", "Requests to the SSE, HTTP-streaming and emulation endpoints refused with 4xx/5xx.")
	descEmulation       = desc("emulation_requests_total", "Emulation requests, by outcome.", "outcome")
	descWSCompressed    = desc("websocket_compressed_messages_total", "WebSocket messages carried with permessage-deflate, by direction (in: inflated, out: written).", "direction")
	descCompressions    = desc("fanout_compressions_total", "Compressions made for the fan-out, by kind (deflate: a publication compressed once for its subscribers; fossil: a delta computed once per publication).", "kind")
)

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnections, descAccepted, descSubscriptions, descChannels, descCommands,
		descPubIn, descPubOut, descDeliveries, descFramesOut, descOverflows, descQueued, descDisconnects,
		descRecoveries, descRecoveryReads, descHistoryMemory, descLeavesReaped, descKeyMismatches, descGaps, descWSHandshakes, descWSFramesIn, descWSCloses, descWSMaxPartialMsg, descWSPongsDeferred,
		descStreamsOpen, descStreamsOpened, descStreamsRefused, descEmulation,
		descWSCompressed, descCompressions} {
		ch <- d
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.hub.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descConnections, float64(s.ConnectionsOpen))
	counter(descAccepted, float64(s.ConnectionsAccepted))
	gauge(descSubscriptions, float64(s.Subscriptions))
	gauge(descChannels, float64(s.Channels))
	counter(descCommands, float64(s.Commands))
	counter(descPubIn, float64(s.PublicationsIn))
	counter(descPubOut, float64(s.PublicationsOut))
	counter(descDeliveries, float64(s.Deliveries))
	counter(descFramesOut, float64(s.FramesOut))
	counter(descOverflows, float64(s.QueueOverflows))
	gauge(descQueued, float64(s.QueuedBytes))
	for code, n := range s.Disconnects {
		counter(descDisconnects, float64(n), strconv.FormatUint(uint64(code), 10))
	}
	counter(descRecoveries, float64(s.RecoveredTrue), "true")
	counter(descRecoveries, float64(s.RecoveredFalse), "false")
	counter(descRecoveryReads, float64(s.RecoveryReads))
	counter(descHistoryMemory, float64(s.HistoryFromMemory))
	counter(descLeavesReaped, float64(s.LeavesReaped))
	counter(descKeyMismatches, float64(s.KeyMismatches))
	counter(descGaps, float64(s.GapsFilled), "filled")
	counter(descGaps, float64(s.GapsUnrecoverable), "unrecoverable")
	w := c.ws.Stats()
	counter(descWSHandshakes, float64(w.HandshakesRejected))
	counter(descWSFramesIn, float64(w.FramesIn))
	for code, n := range w.ClosesSent {
		counter(descWSCloses, float64(n), strconv.FormatUint(uint64(code), 10))
	}
	gauge(descWSMaxPartialMsg, float64(w.MaxPartialBytes))
	counter(descWSPongsDeferred, float64(w.PongsDeferred))
	h := c.hs.Stats()
	gauge(descStreamsOpen, float64(h.StreamsOpen))
	counter(descStreamsOpened, float64(h.SSEOpened), "sse")
	counter(descStreamsOpened, float64(h.HTTPStreamOpened), "http_stream")
	counter(descStreamsRefused, float64(h.Refused))
	counter(descEmulation, float64(h.Emulated), "delivered")
	counter(descEmulation, float64(h.EmulationNotFound), "session_not_found")
	counter(descWSCompressed, float64(w.InflatedIn), "in")
	counter(descWSCompressed, float64(w.DeflatedOut), "out")
	counter(descCompressions, float64(s.PiecesCompressed), "deflate")
	counter(descCompressions, float64(s.DeltasComputed), "fossil")
}
