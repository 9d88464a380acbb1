package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/liveroom-dev/liveroom/internal/api"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
	"github.com/liveroom-dev/liveroom/web"
	"github.com/liveroom-dev/liveroom/wire"
)

// routes is every HTTP entry point of a node.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Every WebSocket and streaming endpoint goes through the origin policy
	// (s.originGuard).
	mux.Handle("/connection/websocket", s.originGuard(s.admission(s.ws)))
	s.streamRoutes(mux)
	apiHandler := api.New(s.hub, s.creds.APIKey, s.log).WithUsers(s.accounts)
	s.registerFeatureAPI(apiHandler)
	mux.Handle("/api/", apiHandler)
	s.accountRoutes(mux, s.verifier)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.eng.ConnectionLost(); err != nil {
			// Liveness: nothing short of a restart brings the node back.
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "failed", "reason": err.Error() + "; restart the node"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready.serve)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.prom.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}))
	if s.cfg.DemoEnabled() {
		mux.Handle("POST /demo/token", s.demoToken())
		mux.HandleFunc("/demo/token", demoTokenMethods)
		mux.Handle("/", getOnly(web.Handler()))
	} else {
		mux.Handle("/", getOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("liveroom is running; the demo site is off on this node (--demo to turn it on).\n"))
		})))
	}
	// Outermost: every handler (limits per address, accounts, logs) sees
	// the client behind a trusted proxy, not the proxy.
	return s.proxies.Handler(s.webSurface(mux))
}

// streamRoutes mounts the fallback transports that are on (SSE,
// HTTP-streaming) and, when either is, the emulation endpoint that carries
// their clients' commands. A transport that is off answers 404 saying so.
func (s *Server) streamRoutes(mux *http.ServeMux) {
	off := func(what, key string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, what+" is off on this node ("+key+" = false): use another transport", http.StatusNotFound)
		})
	}
	c := s.cfg.Client
	if c.SSE {
		mux.Handle("/connection/sse", s.originGuard(s.admission(s.hs.SSE())))
	} else {
		mux.Handle("/connection/sse", off("the SSE transport", "client.sse"))
	}
	if c.HTTPStream {
		mux.Handle("/connection/http_stream", s.originGuard(s.admission(s.hs.HTTPStream())))
	} else {
		mux.Handle("/connection/http_stream", off("the HTTP-streaming transport", "client.http_stream"))
	}
	if c.SSE || c.HTTPStream {
		mux.Handle("/emulation", s.originGuard(s.hs.Emulation()))
	} else {
		mux.Handle("/emulation", off("emulation (SSE and HTTP-streaming)", "client.sse and client.http_stream"))
	}
}

// startDebug serves Go's profiler on its own listener (off by default).
func startDebug(addr string, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("debug listener stopped", "err", err)
		}
	}()
	log.Info("debug listener (pprof) on", "addr", ln.Addr().String())
	return srv, nil
}

// getOnly answers 405 to anything but GET and HEAD.
func getOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// admission refuses new connections (WebSocket upgrades and streams)
// before the upgrade or the first stream byte when this node is over its
// accept rate (a reconnect storm), the address over its connection limit
// (429), or the node shutting down (503), with a status and Retry-After a
// client can act on.
func (s *Server) admission(next http.Handler) http.Handler {
	var limiter *rate.Limiter
	if r := s.cfg.Client.AcceptRate; r > 0 {
		limiter = rate.NewLimiter(rate.Limit(r), max(s.cfg.Client.AcceptBurst, 1))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limiter != nil && !limiter.Allow() {
			s.prom.refused.WithLabelValues(refusedAcceptRate).Inc()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many new connections right now; retry in a second", http.StatusServiceUnavailable)
			return
		}
		if addr, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			if err := s.hub.AdmitAddr(addr.Addr().Unmap()); err != nil {
				if de := (*hub.DisconnectError)(nil); errors.As(err, &de) && de.Code == wire.DisconnectShutdown.Code {
					// The node drains before it stops: connect to another.
					s.prom.refused.WithLabelValues(refusedShuttingDown).Inc()
					w.Header().Set("Retry-After", "1")
					http.Error(w, "server is shutting down: connect again (to another node)", http.StatusServiceUnavailable)
					return
				}
				s.prom.refused.WithLabelValues(refusedPerIP).Inc()
				w.Header().Set("Retry-After", "10")
				http.Error(w, err.Error(), http.StatusTooManyRequests)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// readiness answers /readyz: ready when the engine answers, a probe
// publication makes the round trip through it, and the WebSocket listener
// still accepts connections.
type readiness struct {
	hub *hub.Hub
	// conns counts client connections (WebSocket, SSE, HTTP streaming)
	// against their limit; a node at its limit refuses new ones, so it is
	// not ready for new clients (a load balancer sends them elsewhere).
	conns *connlimit.Limit

	mu        sync.Mutex // guards checkedAt and lastErr
	checkedAt time.Time
	lastErr   error
}

func newReadiness(h *hub.Hub, conns *connlimit.Limit) *readiness {
	return &readiness{hub: h, conns: conns}
}

// readyCacheFor keeps one probe result for a short while so a burst of
// readiness checks costs one probe.
const readyCacheFor = 500 * time.Millisecond

func (rd *readiness) check(ctx context.Context) error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if time.Since(rd.checkedAt) < readyCacheFor {
		return rd.lastErr
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rd.lastErr = rd.hub.Ready(ctx)
	rd.checkedAt = time.Now()
	return rd.lastErr
}

// atLimit says why the node takes no new client connections, or nil. It
// is read at every request (two loads), not cached with the probe.
func (rd *readiness) atLimit() error {
	if rd.conns == nil {
		return nil
	}
	open, limit := rd.conns.Open(), rd.conns.Max()
	if limit <= 0 || open < int64(limit) {
		return nil
	}
	return fmt.Errorf("at the client connection limit (%d of %d open over WebSocket, SSE and HTTP streaming, set by the open-file limit): new connections are refused with 503 until some close; raise the open-file limit (ulimit -n) or add nodes", open, limit)
}

func (rd *readiness) serve(w http.ResponseWriter, r *http.Request) {
	err := rd.atLimit()
	if err == nil {
		err = rd.check(r.Context())
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// hostPort formats a listener address for the "listening on" line.
func hostPort(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return net.JoinHostPort(tcp.IP.String(), strconv.Itoa(tcp.Port))
	}
	return a.String()
}

// originGuard is the origin policy's guard, counting what it refuses.
func (s *Server) originGuard(next http.Handler) http.Handler {
	return s.origins.Guard(next, func() { s.prom.refused.WithLabelValues(refusedOrigin).Inc() })
}
