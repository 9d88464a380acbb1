package httpstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// Emulator delivers the commands of an emulation request to the connection
// they belong to (hub.Hub implements it). It returns hub.ErrSessionNotFound
// when no node holds the session.
type Emulator interface {
	Emulate(ctx context.Context, node, session string, data []byte) error
}

// Server serves the SSE, HTTP-streaming and emulation endpoints. Mount its
// handlers (SSE, HTTPStream, Emulation) wherever the routes are built;
// each is a plain http.Handler, so it can be wrapped (admission, origin
// checks).
//
// Lifecycle: NewServer, mount, Shutdown. A stream's goroutine is its
// net/http handler's; Shutdown closes the streams left and waits for them.
type Server struct {
	cfg   Config
	acc   hub.Acceptor
	emu   Emulator
	log   *slog.Logger
	stats counters

	mu      sync.Mutex
	stopped bool               // mu; Shutdown was called: new streams get 503
	conns   map[*conn]struct{} // mu; open streams
	streams sync.WaitGroup     // stream handlers between register and return
}

// NewServer validates cfg (zero fields take their defaults) and returns a
// Server that admits streams through acc and delivers emulation requests
// through emu. It returns an error when a Config value is negative or acc
// or emu is nil.
func NewServer(cfg Config, acc hub.Acceptor, emu Emulator) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if acc == nil || emu == nil {
		return nil, errors.New("httpstream: nil Acceptor or Emulator")
	}
	return &Server{cfg: cfg, acc: acc, emu: emu, log: cfg.Logger, conns: make(map[*conn]struct{})}, nil
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// register adds an open stream; false after Shutdown.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.conns[c] = struct{}{}
	s.streams.Add(1)
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.streams.Done()
}

// Shutdown refuses new streams (503), closes the open ones with 3001 (the
// hub normally has already disconnected them, spread over its drain
// window) and waits until their handlers return, or until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	open := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.Close(wire.DisconnectShutdown)
	}
	done := make(chan struct{})
	go func() {
		s.streams.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("httpstream: %d streams still open: %w", len(open), ctx.Err())
	}
}

// refuse answers a request with a plain-text error.
func (s *Server) refuse(w http.ResponseWriter, e *requestError) {
	s.stats.refused.Add(1)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(e.msg + "\n"))
}

// remoteAddr parses the request's peer address (zero when it cannot).
func remoteAddr(r *http.Request) netip.AddrPort {
	a, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// accept calls the Acceptor, turning a panic into an error.
func (s *Server) accept(c *conn, info hub.ConnInfo) (sess hub.Session, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("httpstream: panic in Acceptor.Accept", "remote", c.remote, "panic", fmt.Sprint(r))
			sess, err = nil, fmt.Errorf("httpstream: accept panicked: %v", r)
		}
	}()
	sess, err = s.acc.Accept(c, info)
	if err == nil && sess == nil {
		err = errors.New("httpstream: Accept returned no session")
	}
	return sess, err
}

// refusalDisconnect is the disconnect for a stream the hub refused: the
// code it gave in a *hub.DisconnectError, else 3004 (with a *wire.Error's
// message as the reason).
func refusalDisconnect(err error) wire.Disconnect {
	var de *hub.DisconnectError
	if errors.As(err, &de) {
		return de.Disconnect
	}
	d := wire.DisconnectServerError
	var we *wire.Error
	if errors.As(err, &we) {
		d.Reason = we.Message
	}
	return d
}

// Stats is a snapshot of a Server's counters, for metrics. Counters only
// grow, except StreamsOpen.
type Stats struct {
	StreamsOpen       int64  // streams not yet ended
	SSEOpened         uint64 // SSE streams opened (200 sent)
	HTTPStreamOpened  uint64 // HTTP-streaming streams opened (200 sent)
	Refused           uint64 // requests answered with 4xx/5xx
	Writes            uint64 // writes (each flushed) to streams
	Emulated          uint64 // emulation requests delivered (204)
	EmulationNotFound uint64 // emulation requests for an unknown session (404)
}

type counters struct {
	open       atomic.Int64
	sse        atomic.Uint64
	stream     atomic.Uint64
	refused    atomic.Uint64
	writes     atomic.Uint64
	emulated   atomic.Uint64
	emuMissing atomic.Uint64
}

func (s *counters) snapshot() Stats {
	return Stats{
		StreamsOpen:       s.open.Load(),
		SSEOpened:         s.sse.Load(),
		HTTPStreamOpened:  s.stream.Load(),
		Refused:           s.refused.Load(),
		Writes:            s.writes.Load(),
		Emulated:          s.emulated.Load(),
		EmulationNotFound: s.emuMissing.Load(),
	}
}
