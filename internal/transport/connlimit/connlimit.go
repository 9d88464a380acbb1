// Package connlimit counts connections against limits, so that together
// they leave the message store its file descriptors.
//
// Each connection holds a file descriptor for its whole life, and so does
// the message store for each file it has open: a process that lets
// connections take every descriptor fails its store writes (a JetStream
// write that cannot open a block file), and the store stays failed until
// the process restarts. Two counts keep it from that:
//
//   - every TCP connection the HTTP listener accepts takes a place in the
//     listener's Limit (Listener) from accept to close, or, for a
//     WebSocket connection handed to an event loop, until that connection
//     ends (Conn.Keep); past the limit a connection is answered 503 and
//     closed at once;
//   - the long-lived client connections of every transport (WebSocket,
//     SSE, HTTP streaming) take a place in a second, smaller Limit, so
//     that plain HTTP requests (the server API, health checks, metrics)
//     keep some room when clients fill theirs, and so that /readyz can say
//     the node takes no more clients.
package connlimit

import "sync/atomic"

// Limit is a count of open connections with an upper bound. The zero
// value has no bound. It is safe for concurrent use.
type Limit struct {
	max     int64
	open    atomic.Int64
	refused atomic.Uint64
}

// New returns a Limit of max connections (max ≤ 0: no limit, only a count).
func New(max int) *Limit {
	return &Limit{max: int64(max)}
}

// Take reserves a place for one connection and reports whether it got
// one; on false nothing is reserved and the caller refuses the connection
// (503 with Retry-After). Each true must be matched by one Release.
func (l *Limit) Take() bool {
	n := l.open.Add(1)
	if l.max > 0 && n > l.max {
		l.open.Add(-1)
		l.refused.Add(1)
		return false
	}
	return true
}

// Refused counts the takes refused so far.
func (l *Limit) Refused() uint64 { return l.refused.Load() }

// Release gives back a place taken with Take.
func (l *Limit) Release() { l.open.Add(-1) }

// A Place is one connection's share of a Limit. Releasing it more than
// once releases it once; a nil Place releases nothing.
type Place struct {
	l        *Limit
	released atomic.Bool
}

// TakePlace is Take returning the place taken, or nil when none is left.
func (l *Limit) TakePlace() *Place {
	if !l.Take() {
		return nil
	}
	return &Place{l: l}
}

// Release gives the place back, the first time it is called.
func (p *Place) Release() {
	if p != nil && p.released.CompareAndSwap(false, true) {
		p.l.Release()
	}
}

// Open is the number of places taken now.
func (l *Limit) Open() int64 { return l.open.Load() }

// Max is the limit (0: none).
func (l *Limit) Max() int { return int(l.max) }

// ClientsOf is the client connections (WebSocket, SSE, HTTP streaming)
// allowed when the listener allows total connections in all: total less a
// headroom for plain HTTP requests (the server API, health checks and
// metrics), a fiftieth of total but at least a quarter of it up to 64
// (0: no limit).
func ClientsOf(total int) int {
	if total <= 0 {
		return 0
	}
	headroom := max(total/50, min(64, total/4))
	return max(total-headroom, 1)
}
