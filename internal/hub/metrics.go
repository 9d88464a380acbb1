package hub

import (
	"sync"
	"sync/atomic"
)

// metrics are the hub's counters. They are plain atomics on the hot path;
// Stats copies them for the API, tests and the metrics endpoint.
type metrics struct {
	connectionsAccepted atomic.Int64
	connectionsOpen     atomic.Int64
	commands            atomic.Int64
	publicationsIn      atomic.Int64 // publications this node stored or sent
	publicationsOut     atomic.Int64 // publications this node fanned out (per publication, not per subscriber)
	deliveries          atomic.Int64 // publications enqueued to subscribers
	framesOut           atomic.Int64
	queueOverflows      atomic.Int64 // connections closed with 3008
	gapsFilled          atomic.Int64
	gapsUnrecoverable   atomic.Int64
	recoveredTrue       atomic.Int64
	recoveryReads       atomic.Int64
	historyFromRing     atomic.Int64 // history pages answered from the recent ring
	leavesReaped        atomic.Int64 // leaves not announced: a reaper had announced them
	keyMismatches       atomic.Int64 // differences in keys found with other nodes
	recoveredFalse      atomic.Int64
	piecesCompressed    atomic.Int64 // publications compressed for the fan-out (once per form)
	deltasComputed      atomic.Int64 // fossil deltas computed (once per publication)

	mu          sync.Mutex
	disconnects map[uint32]int64 // by code (mu)
}

func (m *metrics) disconnect(code uint32) {
	m.mu.Lock()
	if m.disconnects == nil {
		m.disconnects = make(map[uint32]int64)
	}
	m.disconnects[code]++
	m.mu.Unlock()
}

// Stats is a snapshot of the hub's counters.
type Stats struct {
	ConnectionsAccepted int64 `json:"connections_accepted"`
	ConnectionsOpen     int64 `json:"connections_open"`
	Subscriptions       int64 `json:"subscriptions"`
	Channels            int64 `json:"channels"`
	Commands            int64 `json:"commands"`
	PublicationsIn      int64 `json:"publications_in"`
	PublicationsOut     int64 `json:"publications_out"`
	Deliveries          int64 `json:"deliveries"`
	FramesOut           int64 `json:"frames_out"`
	QueueOverflows      int64 `json:"queue_overflows"`
	QueuedBytes         int64 `json:"queued_bytes"`
	GapsFilled          int64 `json:"gaps_filled"`
	GapsUnrecoverable   int64 `json:"gaps_unrecoverable"`
	RecoveredTrue       int64 `json:"recovered_true"`
	// RecoveryReads counts recoveries the node's recent publications did
	// not cover, which read the stream instead.
	RecoveryReads int64 `json:"recovery_reads"`
	// HistoryFromMemory counts history pages answered from the channel's
	// recent publications in memory, without a stream read.
	HistoryFromMemory int64 `json:"history_from_memory"`
	// LeavesReaped counts leaves this node did not announce because
	// another node's reaper had, while this node was taken for dead.
	LeavesReaped int64 `json:"leaves_reaped"`
	// KeyMismatches counts differences in keys found with other nodes
	// (each logged as an error; see Config.Fingerprints).
	KeyMismatches    int64            `json:"key_mismatches"`
	RecoveredFalse   int64            `json:"recovered_false"`
	PiecesCompressed int64            `json:"pieces_compressed"`
	DeltasComputed   int64            `json:"deltas_computed"`
	Disconnects      map[uint32]int64 `json:"disconnects"`
}

// Stats returns a snapshot of this node's counters.
func (h *Hub) Stats() Stats {
	m := &h.metrics
	s := Stats{
		ConnectionsAccepted: m.connectionsAccepted.Load(),
		ConnectionsOpen:     m.connectionsOpen.Load(),
		Commands:            m.commands.Load(),
		PublicationsIn:      m.publicationsIn.Load(),
		PublicationsOut:     m.publicationsOut.Load(),
		Deliveries:          m.deliveries.Load(),
		FramesOut:           m.framesOut.Load(),
		QueueOverflows:      m.queueOverflows.Load(),
		GapsFilled:          m.gapsFilled.Load(),
		GapsUnrecoverable:   m.gapsUnrecoverable.Load(),
		RecoveredTrue:       m.recoveredTrue.Load(),
		RecoveryReads:       m.recoveryReads.Load(),
		HistoryFromMemory:   m.historyFromRing.Load(),
		LeavesReaped:        m.leavesReaped.Load(),
		KeyMismatches:       m.keyMismatches.Load(),
		RecoveredFalse:      m.recoveredFalse.Load(),
		PiecesCompressed:    m.piecesCompressed.Load(),
		DeltasComputed:      m.deltasComputed.Load(),
		Disconnects:         map[uint32]int64{},
	}
	m.mu.Lock()
	for k, v := range m.disconnects {
		s.Disconnects[k] = v
	}
	m.mu.Unlock()
	h.forEachClient(func(c *Client) {
		s.QueuedBytes += int64(c.out.pending())
		c.mu.Lock()
		s.Subscriptions += int64(c.subs.len())
		c.mu.Unlock()
	})
	s.Channels = int64(h.channels.count())
	return s
}
