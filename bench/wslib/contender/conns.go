package contender

import "sync"

// connSet is the set of open connections of one server. Libraries add a
// connection when its handshake completes and remove it when it closes;
// Broadcast works on a snapshot. At shutdown drain stops further adds and
// wait blocks until every added connection was removed, which is how the
// net/http contenders wait for their per-connection goroutines.
type connSet[C comparable] struct {
	mu     sync.Mutex
	m      map[C]struct{} // guarded by mu
	closed bool           // guarded by mu; set by drain
	live   sync.WaitGroup // one count per member of m
}

func newConnSet[C comparable]() *connSet[C] {
	return &connSet[C]{m: make(map[C]struct{})}
}

// add records c and reports true, or reports false once drain has run: the
// caller must then close c itself.
func (s *connSet[C]) add(c C) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.m[c] = struct{}{}
	s.live.Add(1)
	return true
}

func (s *connSet[C]) remove(c C) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[c]; ok {
		delete(s.m, c)
		s.live.Done()
	}
}

// wait blocks until every connection added before drain was removed.
func (s *connSet[C]) wait() { s.live.Wait() }

func (s *connSet[C]) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *connSet[C]) snapshot() []C {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]C, 0, len(s.m))
	for c := range s.m {
		out = append(out, c)
	}
	return out
}

// drain marks the set closed (later adds fail) and returns what it held, for
// the caller to close at shutdown.
func (s *connSet[C]) drain() []C {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return s.snapshot()
}
