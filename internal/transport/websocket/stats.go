package websocket

import (
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of a Server's counters, for metrics. Counters only
// grow, except ConnectionsOpen.
type Stats struct {
	ConnectionsOpen     int64  // upgraded connections not yet closed
	ConnectionsAccepted uint64 // upgrades completed (101 sent)
	HandshakesRejected  uint64 // upgrade requests answered with 4xx/5xx
	FramesIn            uint64 // client frames parsed (data and control)
	FramesOut           uint64 // frames written (data, pong, close)
	MessagesIn          uint64 // complete client messages handed on
	InflatedIn          uint64 // of MessagesIn, those that came compressed (RFC 7692)
	DeflatedOut         uint64 // data frames written compressed (RFC 7692)
	// ClosesSent counts close frames sent, by close code (echoes of the
	// peer's close included; 1005 counts empty close frames).
	ClosesSent map[uint16]uint64
	// PongsDeferred counts pongs that waited because more than 64 KiB
	// already waited for the client's socket (a client that pings and does
	// not read); each went out once the client read enough.
	PongsDeferred uint64
	// MaxPartialBytes is the largest buffer, in bytes, held for one message
	// that arrived in pieces; it never exceeds MaxMessageSize.
	MaxPartialBytes int64
}

type counters struct {
	open          atomic.Int64
	accepted      atomic.Uint64
	rejected      atomic.Uint64
	framesIn      atomic.Uint64
	framesOut     atomic.Uint64
	messagesIn    atomic.Uint64
	inflatedIn    atomic.Uint64
	deflatedOut   atomic.Uint64
	maxPartial    atomic.Int64
	pongsDeferred atomic.Uint64

	mu     sync.Mutex
	closes map[uint16]uint64 // mu
}

func (s *counters) countClose(code uint16) {
	s.mu.Lock()
	if s.closes == nil {
		s.closes = make(map[uint16]uint64)
	}
	s.closes[code]++
	s.mu.Unlock()
}

func (s *counters) notePartial(n int64) {
	for {
		cur := s.maxPartial.Load()
		if n <= cur || s.maxPartial.CompareAndSwap(cur, n) {
			return
		}
	}
}

func (s *counters) snapshot() Stats {
	st := Stats{
		ConnectionsOpen:     s.open.Load(),
		ConnectionsAccepted: s.accepted.Load(),
		HandshakesRejected:  s.rejected.Load(),
		FramesIn:            s.framesIn.Load(),
		FramesOut:           s.framesOut.Load(),
		MessagesIn:          s.messagesIn.Load(),
		InflatedIn:          s.inflatedIn.Load(),
		DeflatedOut:         s.deflatedOut.Load(),
		MaxPartialBytes:     s.maxPartial.Load(),
		PongsDeferred:       s.pongsDeferred.Load(),
		ClosesSent:          make(map[uint16]uint64),
	}
	s.mu.Lock()
	for k, v := range s.closes {
		st.ClosesSent[k] = v
	}
	s.mu.Unlock()
	return st
}
