// Package connlimit counts the long-lived client connections of every
// transport (WebSocket, SSE, HTTP streaming) against one limit.
//
// Each such connection holds a file descriptor for its whole life, and so
// does the message store for each file it has open: a process that lets
// client connections take every descriptor fails its store writes (a
// JetStream write that cannot open a block file). The limit is what the
// descriptor limit leaves after a reserve (see
// websocket.ConnectionsForDescriptors); every transport takes a place
// before it starts a connection and gives it back when the connection
// ends, so no one transport can use the others' share or the store's.
package connlimit

import "sync/atomic"

// Limit is a count of open connections with an upper bound. The zero
// value has no bound. It is safe for concurrent use.
type Limit struct {
	max  int64
	open atomic.Int64
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
		return false
	}
	return true
}

// Release gives back a place taken with Take.
func (l *Limit) Release() { l.open.Add(-1) }

// Open is the number of places taken now.
func (l *Limit) Open() int64 { return l.open.Load() }

// Max is the limit (0: none).
func (l *Limit) Max() int { return int(l.max) }
