// Package server is liveroom's composition root: configuration → engine →
// hub → transports → HTTP routes. Run starts a node and blocks until its
// context ends, then shuts it down in order.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/auth/account"
	chatmodule "github.com/liveroom-dev/liveroom/internal/chat/module"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/engine"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/origin"
	"github.com/liveroom-dev/liveroom/internal/realip"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
	"github.com/liveroom-dev/liveroom/internal/transport/httpstream"
	"github.com/liveroom-dev/liveroom/internal/transport/websocket"
)

// Version is reported in connect replies and the info API.
var Version = "0.1.0-dev"

// Server is one running node.
type Server struct {
	cfg   *config.Config
	log   *slog.Logger
	creds Credentials
	eng   *engine.Engine
	hub   *hub.Hub
	authn *authenticator
	ws    *websocket.Server
	hs    *httpstream.Server // SSE, HTTP-streaming and emulation endpoints
	http  *http.Server
	ln    net.Listener
	ready *readiness
	tcp   *connlimit.Limit // TCP connections the HTTP listener accepted
	conns *connlimit.Limit // client connections of every transport
	prom  *metrics
	debug *http.Server // pprof listener, nil when off
	lock  *os.File     // the data directory's lock, held while running

	// proxies are the trusted proxies (web.trusted_proxies) whose
	// X-Forwarded-For names the client.
	proxies *realip.Proxies
	// origins decides which browser origins may connect (WebSocket and
	// streaming endpoints) and call the account endpoints.
	origins *origin.Policy
	// verifier checks connection tokens; accounts is the per-user guard
	// every token passes and liveroom's own accounts.
	verifier *auth.Verifier
	accounts *account.Service
	chat     *chatmodule.Module
	// support is support chat; nil when off.
	support *supportmodule.Module

	stopOnce sync.Once // the first Shutdown runs close; later ones wait for it
	stopErr  error     // close's result, set inside stopOnce
}

// NewLogger builds the process logger from the configuration.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Start builds and starts a node: it is serving when Start returns. stdout
// receives the "listening on" line (and the generated API key).
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) (*Server, error) {
	s := &Server{cfg: cfg, log: log}
	ok := false
	defer func() {
		if !ok {
			s.close(context.Background())
		}
	}()
	var err error
	if cfg.NATSURL == "" {
		if s.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if s.proxies, err = realip.Parse(cfg.Web.TrustedProxies); err != nil {
		return nil, fmt.Errorf("web.trusted_proxies: %w", err)
	}
	if s.origins, err = origin.NewPolicy(cfg.Web.AllowedOrigins); err != nil {
		return nil, fmt.Errorf("web.allowed_origins: %w", err)
	}
	if s.creds, err = LoadCredentials(cfg); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if s.creds.Generated && (cfg.Cluster.Listen != "" || cfg.Cluster.Edge != "" || cfg.NATSURL != "") {
		log.Warn("this node shares an engine with others but uses secrets generated into its own data directory: "+
			"tokens and API keys of other nodes will not work here; set auth.keys and api.key on every node, "+
			"or give every node the same secrets.json", "data_dir", cfg.DataDir)
	}
	for _, name := range cfg.PlaceholderSecrets() {
		log.Warn("a secret is still the documentation's placeholder, which anyone can read: fine for trying this on loopback, refused on a node others reach (another address, a trusted proxy, a public allowed origin)", "setting", name)
	}
	if s.verifier, err = NewVerifier(cfg, s.creds); err != nil {
		return nil, fmt.Errorf("token verifier: %w", err)
	}
	instance := cfg.NodeName + "-" + rand.Text()
	s.eng, err = engine.Start(ctx, engine.Config{
		DataDir:          cfg.DataDir,
		NATSURL:          cfg.NATSURL,
		NodeName:         cfg.NodeName,
		SyncAlways:       cfg.Engine.SyncAlways,
		MaxStorageBytes:  int64(cfg.Engine.MaxStorageBytes),
		MaxMemoryBytes:   int64(cfg.Engine.MaxMemoryBytes),
		Domain:           engineDomain(cfg),
		Replicas:         replicas(cfg),
		ApplyLowerLimits: cfg.Cluster.ApplyLowerLimits,
		ClusterName:      cfg.Cluster.Name,
		ClusterListen:    cfg.Cluster.Listen,
		Routes:           cfg.Cluster.Routes,
		LeafListen:       cfg.Cluster.LeafListen,
		Edge:             cfg.Cluster.Edge,
		PingInterval:     cfg.Cluster.PingInterval.Duration(),
		Advertise:        cfg.Cluster.Advertise,
		NoAdvertise:      cfg.Cluster.NoAdvertise,
		Instance:         instance,
		Logger:           log,
	})
	if err != nil {
		return nil, err
	}
	s.prom = newMetrics()
	hcfg := hubConfig(cfg, log)
	hcfg.Observer = s.prom
	hcfg.Instance = instance
	hcfg.Fingerprints = hub.Fingerprints{TokenKeys: s.creds.Keys.Fingerprints()}
	if s.creds.APIKey != "" {
		hcfg.Fingerprints.APIKey = auth.SecretFingerprint(s.creds.APIKey)
	}
	for _, ns := range hcfg.Namespaces {
		if !ns.HasHistory() {
			continue
		}
		err := s.eng.EnsureNamespace(ctx, engine.NamespaceSpec{
			Namespace: ns.Name, HistorySize: ns.HistorySize, HistoryTTL: ns.HistoryTTL, MaxPublicationBytes: ns.MaxPublicationBytes,
			AppendOnly: ns.AppendOnly,
		})
		if err != nil {
			return nil, err
		}
	}
	if err := s.eng.EnsurePresence(ctx, cfg.Presence.TTL.Duration()); err != nil {
		return nil, err
	}
	if err := s.eng.EnsureProbe(ctx); err != nil {
		return nil, err
	}
	authn := &authenticator{v: s.verifier}
	s.authn = authn
	if s.hub, err = hub.New(hcfg, broker{s.eng}, authn); err != nil {
		return nil, err
	}
	if s.accounts, err = s.newAccounts(); err != nil {
		return nil, err
	}
	authn.guard = s.accounts // before Start: no connection exists yet
	if cfg.Cluster.Edge == "" {
		if err := s.accounts.Prepare(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.hub.Start(ctx); err != nil {
		return nil, err
	}
	s.eng.WatchLink(func(l engine.LinkState) {
		if l.Rejoined {
			s.hub.Resync()
			return
		}
		s.hub.LinkChanged(l.Up, l.Detail, l.Since)
	})
	s.startFeatures()
	var fds syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &fds)
	// Every accepted TCP connection is counted (s.tcp, at the listener)
	// so that together they leave the store its descriptors; the clients
	// of every transport are counted again (s.conns) against a smaller
	// share, which leaves plain HTTP requests some room.
	s.tcp = connlimit.New(websocket.ConnectionsForDescriptors(fds.Cur))
	s.conns = connlimit.New(connlimit.ClientsOf(s.tcp.Max()))
	s.ws, err = websocket.NewServer(websocket.Config{
		Limit:            s.conns,
		MaxMessageSize:   cfg.Client.MaxMessageBytes.Int(),
		FrameTimeout:     cfg.Client.FrameTimeout.Duration(),
		Compression:      cfg.Client.Compression,
		CompressMinBytes: cfg.Client.CompressionMinBytes.Int(),
		MaxInflatedSize:  cfg.Client.MaxInflatedBytes.Int(),
		Logger:           log,
	}, s.hub)
	if err != nil {
		return nil, err
	}
	if err := s.ws.Start(); err != nil {
		return nil, err
	}
	s.hs, err = httpstream.NewServer(httpstream.Config{
		MaxMessageSize: cfg.Client.MaxMessageBytes.Int(),
		BodyTimeout:    cfg.Client.FrameTimeout.Duration(),
		WriteTimeout:   cfg.Client.WriteTimeout.Duration(),
		Limit:          s.conns,
		Logger:         log,
	}, s.hub, s.hub)
	if err != nil {
		return nil, err
	}
	s.prom.watch(s.hub, s.ws, s.hs)
	s.prom.reg.MustRegister(engineCollector{s.eng}, limitCollector{tcp: s.tcp, clients: s.conns})
	if cfg.DebugAddr != "" {
		if s.debug, err = startDebug(cfg.DebugAddr, log); err != nil {
			return nil, err
		}
	}
	s.ready = newReadiness(s.hub, s.conns)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listen on %s: %w (another process uses this address: stop it, or give another with --addr or LIVEROOM_ADDR)", cfg.Addr, err)
		}
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s.ln = connlimit.Listener(ln, s.tcp, log)
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: cfg.Client.HandshakeTimeout.Duration(),
		// A whole request: its headers, then its body. Streams (SSE,
		// HTTP-streaming) lift both deadlines once they start.
		ReadTimeout:    requestReadTimeout(cfg),
		WriteTimeout:   requestReadTimeout(cfg) + cfg.Client.WriteTimeout.Duration(),
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: cfg.Client.MaxHeaderBytes.Int(),
		ErrorLog:       newHTTPErrorLog(log),
	}
	go func() {
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	}()
	s.announce(stdout)
	s.logStart(len(hcfg.Namespaces))
	ok = true
	return s, nil
}

// Addr is the address the node listens on (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Hub gives tests and tools access to the hub's counters.
func (s *Server) Hub() *hub.Hub { return s.hub }

// Engine gives tests access to the engine.
func (s *Server) Engine() *engine.Engine { return s.eng }

func (s *Server) announce(stdout io.Writer) {
	if s.creds.Generated && s.cfg.API.Key == "" {
		when := "at its first start"
		if s.creds.GeneratedNow {
			when = "now"
		}
		fmt.Fprintf(stdout, "server API key (generated into %s %s): %s\n", s.cfg.DataDir, when, s.creds.APIKey)
	}
	if s.cfg.DemoEnabled() {
		fmt.Fprintln(stdout, "demo site on: open the address below in a normal and a private browser window, one person each")
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", hostPort(s.ln.Addr()))
}

func (s *Server) logStart(namespaces int) {
	engineKind := "embedded NATS JetStream"
	if !s.eng.Embedded() {
		engineKind = "external NATS " + redactURL(s.cfg.NATSURL)
	}
	var fds syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &fds)
	s.log.Info("liveroom started", "node", s.cfg.NodeName, "addr", hostPort(s.ln.Addr()), "data_dir", s.cfg.DataDir,
		"engine", engineKind, "sync_always", s.cfg.Engine.SyncAlways, "demo", s.cfg.DemoEnabled(),
		"namespaces", namespaces, "fd_limit", fds.Cur, "gomaxprocs", runtime.GOMAXPROCS(0),
		"socket_pollers", websocket.DefaultPollers(), "max_connections", s.tcp.Max(), "max_client_connections", s.conns.Max(),
		"version", Version)
}

// redactURL hides credentials in NATS URLs for logs.
func redactURL(raw string) string {
	var out []string
	for _, part := range strings.Split(raw, ",") {
		if u, err := url.Parse(strings.TrimSpace(part)); err == nil {
			out = append(out, u.Redacted())
		}
	}
	return strings.Join(out, ",")
}

// Shutdown stops the node: no new connections, clients disconnected with
// 3001 over the drain window, commands in flight finished, the engine
// flushed and closed.
// It is safe to call more than once, also concurrently: later calls wait
// for the first and return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.log.Info("shutting down", "drain_window", s.cfg.Shutdown.DrainWindow.Duration())
		s.stopErr = s.close(ctx)
	})
	return s.stopErr
}

func (s *Server) close(ctx context.Context) error {
	var errs []error
	if s.debug != nil {
		_ = s.debug.Close()
	}
	s.stopFeatures()
	// The HTTP server keeps serving while the hub drains: clients not
	// disconnected yet keep working, the stream clients' commands and
	// pongs included (they come as emulation requests, on new HTTP
	// requests), new connections get 503 and /readyz says the node is
	// shutting down. Closing the listener first would cut every stream
	// client off at once, and each would reconnect at once.
	if s.hub != nil {
		if err := s.hub.Shutdown(ctx, s.cfg.Shutdown.DrainWindow.Duration()); err != nil {
			errs = append(errs, err)
		}
	}
	if s.hs != nil {
		if err := s.hs.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	// net/http now stops accepting and waits for the requests in flight;
	// it does not track hijacked WebSocket connections.
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	}
	if s.ws != nil {
		if err := s.ws.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("websocket: %w", err))
		}
	}
	if s.eng != nil {
		if err := s.eng.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.lock != nil {
		_ = s.lock.Close() // releases the flock
	}
	return errors.Join(errs...)
}

// Run starts a node and blocks until ctx ends, then shuts it down within
// the configured shutdown timeout.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	s, err := Start(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown.Timeout.Duration())
	defer cancel()
	return s.Shutdown(sctx)
}

// EmbeddedDomain is the JetStream domain of embedded core nodes; edges of
// embedded cores reach their JetStream under it.
const EmbeddedDomain = "liveroom"

func engineDomain(cfg *config.Config) string {
	switch {
	case cfg.Engine.Domain != "":
		return cfg.Engine.Domain
	case cfg.NATSURL == "":
		return EmbeddedDomain
	}
	return ""
}

// replicas is the stream replication factor: as configured, or 3 when the
// routes name at least three nodes (the usual static cluster lists every
// node, this one included), else 1.
func replicas(cfg *config.Config) int {
	if cfg.Cluster.Replicas > 0 {
		return cfg.Cluster.Replicas
	}
	if len(cfg.Cluster.Routes) >= 3 {
		return 3
	}
	return 1
}

// requestReadTimeout bounds reading one whole HTTP request: the headers
// (client.handshake_timeout) and then the body (client.frame_timeout).
func requestReadTimeout(cfg *config.Config) time.Duration {
	return cfg.Client.HandshakeTimeout.Duration() + cfg.Client.FrameTimeout.Duration()
}

// hubConfig maps the configuration onto the hub's.
func hubConfig(cfg *config.Config, log *slog.Logger) hub.Config {
	c := cfg.Client
	h := hub.Config{
		NodeID:                cfg.NodeName,
		NodeTimeout:           cfg.Cluster.NodeTimeout.Duration(),
		Version:               Version,
		PingInterval:          c.PingInterval.Duration(),
		PongTimeout:           c.PongTimeout.Duration(),
		ConnectTimeout:        c.ConnectTimeout.Duration(),
		ExpiryGrace:           cfg.Auth.ExpiryGrace.Duration(),
		AllowAnonymous:        c.AllowAnonymous,
		QueueMaxBytes:         c.QueueMaxBytes.Int(),
		WriteTimeout:          c.WriteTimeout.Duration(),
		MaxSubscriptions:      c.MaxSubscriptions,
		ChannelLinger:         c.ChannelLinger.Duration(),
		CommandsPerSecond:     float64(c.CommandsPerSecond),
		CommandsBurst:         c.CommandsBurst,
		MaxConnectionsPerUser: c.MaxConnectionsPerUser,
		MaxConnectionsPerIP:   c.MaxConnectionsPerIP,
		PresenceTTL:           cfg.Presence.TTL.Duration(),
		PresenceMaxList:       cfg.Presence.MaxList,
		Logger:                log,
	}
	for _, n := range cfg.Namespaces {
		h.Namespaces = append(h.Namespaces, hub.Namespace{
			Name:                n.Name,
			HistorySize:         n.HistorySize,
			HistoryTTL:          n.HistoryTTL.Duration(),
			Recovery:            n.Recovery,
			Presence:            n.Presence,
			JoinLeave:           n.JoinLeave,
			Subscribe:           hub.SubscribeRule(n.Subscribe),
			Publish:             hub.PublishRule(n.Publish),
			MaxPublicationBytes: n.MaxPublicationBytes.Int(),
			PublishRate:         float64(n.PublishRate),
			PublishBurst:        n.PublishBurst,
			Delta:               n.Delta == config.DeltaFossil,
			AppendOnly:          n.AppendOnly,
		})
	}
	return h
}
