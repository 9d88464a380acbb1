package module

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/liveroom-dev/liveroom/internal/hub"
)

// sharedLogs serialises this node's appends to the channels that every
// conversation writes: the queue (supportq:main) and the rooms' support
// audit logs. Without it, concurrent commands on one node raced each
// other for the channel's next offset, and entries were dropped after a
// few lost races. Within a node one append per channel is in flight, so
// a conflict means another node wrote; those are retried until the
// effects' deadline or maxSharedAttempts lost races.
type sharedLogs struct {
	mu sync.Mutex
	m  map[string]*sharedLog // channel → its writer on this node (mu)
}

// sharedLog is one channel's writer on this node.
type sharedLog struct {
	mu    sync.Mutex // held for a whole append, retries included
	top   uint64     // last offset this node saw (mu)
	users int        // appends waiting for or holding mu (sharedLogs.mu)
}

func (s *sharedLogs) acquire(ch string) *sharedLog {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*sharedLog{}
	}
	l := s.m[ch]
	if l == nil {
		l = &sharedLog{}
		s.m[ch] = l
	}
	l.users++
	s.mu.Unlock()
	l.mu.Lock()
	return l
}

// release lets the next append of ch go; the channel's entry is dropped
// when nobody waits for it (the next append reads the top again).
func (s *sharedLogs) release(ch string, l *sharedLog) {
	l.mu.Unlock()
	s.mu.Lock()
	l.users--
	if l.users == 0 && len(s.m) > 1000 {
		delete(s.m, ch)
	}
	s.mu.Unlock()
}

// maxSharedAttempts bounds the retries of one shared append; each lost
// race is another node's append, so it is rarely more than the number of
// nodes.
const maxSharedAttempts = 100

// appendTo appends v to a channel that every conversation writes (the
// queue, an audit log), one append at a time per channel on this node,
// with the last offset this node knows as the expected one and re-reading
// the top after another node wrote first. It gives up only when ctx ends,
// the engine fails, or after maxSharedAttempts lost races, and logs it.
func (m *Module) appendTo(ctx context.Context, ch string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		m.log.Error("support event not encoded", "channel", ch, "err", err)
		return
	}
	l := m.shared.acquire(ch)
	defer m.shared.release(ch, l)
	for attempt := 0; attempt < maxSharedAttempts; attempt++ {
		pos, err := m.store.Append(ctx, ch, data, nil, l.top)
		if err == nil {
			l.top = pos.Offset
			return
		}
		if !errors.Is(err, hub.ErrOffsetMoved) {
			m.log.Error("support event not stored", "channel", ch, "err", err)
			return
		}
		top, err := m.store.Top(ctx, ch)
		if err != nil {
			m.log.Error("support event not stored", "channel", ch, "err", err)
			return
		}
		l.top = top.Offset
	}
	m.log.Error("support event not stored: too many concurrent writers", "channel", ch)
}
