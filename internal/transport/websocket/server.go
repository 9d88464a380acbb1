package websocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/netpoll"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Server is the WebSocket transport: an http.Handler that upgrades requests
// and hands each socket to an event loop (package netpoll), which reads for
// all connections without a goroutine per connection.
//
// Lifecycle: NewServer, Start, mount as a handler, Shutdown. Every goroutine
// it starts (pollers, the stalled-frame sweeper, Session workers, close
// helpers) has stopped when Shutdown returns nil.
type Server struct {
	cfg    Config
	acc    hub.Acceptor
	log    *slog.Logger
	poller *netpoll.Poller
	disp   dispatcher
	stats  counters
	limit  *connlimit.Limit // places for connections, shared or our own

	mu       sync.Mutex
	state    int                // mu; serverNew, serverRunning, serverStopped
	conns    map[*conn]struct{} // mu; connections handed to the poller
	emptied  chan struct{}      // mu; closed when conns becomes empty during Shutdown
	stopSwep chan struct{}      // closed by Shutdown to stop the sweeper

	// partial holds the connections that may have a frame in progress, so
	// the sweeper visits those rather than every connection: a scan of
	// tens of thousands every 500 ms took up to 8 ms of CPU without a
	// pause, and every delivery waited behind it.
	partialMu sync.Mutex
	partial   map[*conn]struct{} // partialMu

	lastTakeLog atomic.Int64 // Unix ns of the last "cannot take the socket" log line

	bg       sync.WaitGroup // sweeper and close helpers
	inflight sync.WaitGroup // upgrades between register and setSession
}

const (
	serverNew = iota
	serverRunning
	serverStopped
)

// NewServer validates cfg (zero fields take their defaults) and returns a
// Server that admits connections through acc. It returns an error when a
// Config value is negative or acc is nil.
func NewServer(cfg Config, acc hub.Acceptor) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if acc == nil {
		return nil, errors.New("websocket: nil Acceptor")
	}
	s := &Server{
		cfg:      cfg,
		acc:      acc,
		log:      cfg.Logger,
		conns:    make(map[*conn]struct{}),
		stopSwep: make(chan struct{}),
		partial:  make(map[*conn]struct{}),
	}
	s.disp.max = cfg.Workers
	s.limit = cfg.Limit
	if s.limit == nil {
		s.limit = connlimit.New(cfg.MaxConnections)
	}
	return s, nil
}

// Start starts the poller and the stalled-frame sweeper. Until it is called
// ServeHTTP answers 503. It returns an error if the poller cannot start or
// Start was called before.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != serverNew {
		return errors.New("websocket: Start called twice")
	}
	p, err := netpoll.New(netpoll.Config{Loops: s.cfg.Pollers, Logger: s.log})
	if err != nil {
		return fmt.Errorf("websocket: start the socket pollers: %w", err)
	}
	s.poller = p
	s.state = serverRunning
	s.bg.Add(1)
	go s.sweep()
	return nil
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// sweep closes connections stalled mid-frame for longer than FrameTimeout.
// One goroutine for all connections: no timer per connection.
func (s *Server) sweep() {
	defer s.bg.Done()
	t := time.NewTicker(s.cfg.sweepInterval())
	defer t.Stop()
	var stalled []*conn
	for {
		select {
		case <-s.stopSwep:
			return
		case now := <-t.C:
			cutoff := now.Add(-s.cfg.FrameTimeout).UnixNano()
			stalled = s.stalledSince(cutoff, stalled[:0])
			for _, c := range stalled {
				c.sweepStalled(cutoff)
			}
			clear(stalled)
		}
	}
}

// notePartial puts c in the sweeper's set once its partialSince is set.
func (s *Server) notePartial(c *conn) {
	if c.inPartial.Load() {
		return
	}
	s.partialMu.Lock()
	if !c.inPartial.Load() {
		s.partial[c] = struct{}{}
		c.inPartial.Store(true)
	}
	s.partialMu.Unlock()
}

// stalledSince appends to out the connections whose frame in progress
// began at or before cutoff (Unix ns), and drops from the set those with
// none in progress.
func (s *Server) stalledSince(cutoff int64, out []*conn) []*conn {
	s.partialMu.Lock()
	defer s.partialMu.Unlock()
	for c := range s.partial {
		since := c.partialSince.Load()
		if since == 0 {
			delete(s.partial, c)
			c.inPartial.Store(false)
			// A reader that set partialSince just now may have seen
			// inPartial still true and not added c: look once more.
			if since = c.partialSince.Load(); since == 0 {
				continue
			}
			s.partial[c] = struct{}{}
			c.inPartial.Store(true)
		}
		if since <= cutoff {
			out = append(out, c)
		}
	}
	return out
}

// goTracked runs f on a goroutine that Shutdown waits for.
func (s *Server) goTracked(f func()) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
}

// register records c before the poller sees it; false after Shutdown began.
// On true the caller must call s.inflight.Done once the hub has the session.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != serverRunning {
		return false
	}
	s.conns[c] = struct{}{}
	s.stats.open.Add(1)
	s.inflight.Add(1)
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	s.stats.open.Add(-1)
	s.limit.Release()
	c.tcpPlace.Release()
	if len(s.conns) == 0 && s.emptied != nil {
		close(s.emptied)
		s.emptied = nil
	}
}

// Shutdown stops accepting upgrades, sends every open connection a close
// frame with 3001 (server shutting down, reconnect), waits up to
// CloseTimeout for the closing handshakes, closes what remains, stops the
// poller and waits until every HandleClosed has returned. It returns
// ctx.Err() if ctx ends first (the rest of the shutdown then continues in
// the background). Calling it again returns nil at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.state != serverRunning {
		s.state = serverStopped
		s.mu.Unlock()
		return nil
	}
	s.state = serverStopped // no new registrations from here on
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.inflight.Wait() // every registered socket is in the poller
		s.closeAll(ctx)
		s.poller.Stop() // closes what remains; waits for every OnClose
		close(s.stopSwep)
		s.bg.Wait()
		s.disp.wg.Wait() // every HandleClosed has returned
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("websocket: shutdown: %w", ctx.Err())
	}
}

// closeAll sends 3001 to every connection and waits until all are closed,
// CloseTimeout passes or ctx ends.
func (s *Server) closeAll(ctx context.Context) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	emptied := make(chan struct{})
	if len(s.conns) == 0 {
		close(emptied)
	} else {
		s.emptied = emptied
	}
	s.mu.Unlock()

	d := wire.DisconnectShutdown
	for _, c := range conns {
		c.closeWith(uint16(d.Code), d.Reason, closeAwaitPeer, &hub.DisconnectError{Disconnect: d})
	}
	t := time.NewTimer(s.cfg.CloseTimeout)
	defer t.Stop()
	select {
	case <-emptied:
	case <-t.C:
	case <-ctx.Done():
	}
}
