// Package engine is liveroom's one engine: NATS JetStream, embedded in the
// process by default or reached by URL (design D2). It stores each
// namespace's channel history in one stream, assigns per-channel offsets
// serialised with JetStream's expected-last-subject-sequence check, reads
// history back with batched direct gets, and carries live deliveries over the
// stream's RePublish subjects (design D3).
//
// The engine knows nothing of clients or protocol frames: publication bodies
// are opaque bytes to it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config configures the engine.
type Config struct {
	// DataDir holds the embedded server's JetStream store (DataDir/jetstream).
	DataDir string
	// NATSURL, when set, connects to an external NATS server or cluster
	// (comma-separated seed URLs) instead of starting one in-process.
	NATSURL string
	// NodeName names this node (embedded server name, connection name).
	NodeName string
	// SyncAlways makes the embedded server fsync every write before it
	// acknowledges. Off by default: JetStream then fsyncs every 2 minutes,
	// so an acknowledged write survives a process kill but not a power loss.
	SyncAlways bool
	// MaxStorageBytes caps JetStream file storage (0 = server default).
	MaxStorageBytes int64
	// MaxMemoryBytes caps JetStream memory storage (0 = server default).
	MaxMemoryBytes int64
	// ApplyLowerLimits lets this node lower the settings of streams that
	// exist already (replicas, history per channel, stream limits) to its
	// configuration's. Without it only a single embedded node does: in a
	// cluster a stream is shared, and one node's smaller configuration
	// would drop history or copies on every node (see reconcileStream).
	ApplyLowerLimits bool
	// Replicas is the replication factor of streams (default 1; 3 in a
	// cluster of three or more nodes).
	Replicas int
	// Domain is the JetStream domain: its API is reached under
	// $JS.<domain>.API, which is what lets an edge node (a leaf node without
	// JetStream) use the core's JetStream. Embedded core nodes take it as
	// their JetStream domain. Empty: the plain $JS.API prefix.
	Domain string
	// ClusterName, ClusterListen and Routes make embedded servers one NATS
	// cluster: this node listens for routes on ClusterListen (host:port)
	// and connects to the Routes (nats-route://host:port URLs).
	ClusterName   string
	ClusterListen string
	Routes        []string
	// Advertise (host:port) is the route address other nodes are told to
	// use for this one (empty: ClusterListen).
	Advertise string
	// NoAdvertise keeps the embedded server from telling edges its leaf
	// address and clients its client address (for NAT and proxies).
	NoAdvertise bool
	// LeafListen (host:port) accepts edge nodes as NATS leaf nodes.
	LeafListen string
	// Edge, when set, runs the embedded server as a leaf node of the core
	// at this URL (nats-leaf://host:port), without JetStream of its own:
	// streams and history live in the core.
	Edge string
	// PingInterval is how often the embedded server pings routes and leaf
	// links (0: DefaultPingInterval); three unanswered pings close one.
	PingInterval time.Duration
	// Instance identifies this run of this node (random per start). It
	// tags the presence and connection records this node writes, so other
	// nodes can remove them when this run is gone (see ReapInstance).
	Instance string
	// Logger receives the engine's and the embedded server's logs.
	Logger *slog.Logger
}

// Engine is a connection to JetStream plus, when embedded, the server itself.
type Engine struct {
	cfg Config
	log *slog.Logger
	srv *server.Server // nil when external
	nc  *nats.Conn
	js  jetstream.JetStream

	apiPrefix string // JetStream API subject prefix: $JS[.<domain>].API.
	directGet string // subject prefix of direct gets: $JS[.<domain>].API.DIRECT.GET.
	instToken string // subject token of cfg.Instance
	writers   *writerTable
	dispatch  *dispatcher // runs subscription callbacks; closed after the connection

	kv    kvBuckets // opened key-value buckets
	link  linkWatch
	probe prober
	// stores remembers the streams the embedded server can no longer
	// write (see ErrStoreFailed).
	stores storeHealth
	// historyRead counts stored messages read for history and recovery
	// (scans and seek probes), so tests can tell how much a read costs.
	historyRead atomic.Uint64

	mu      sync.Mutex           // guards streams
	streams map[string]*nsStream // namespace → its stream, once ensured

	stop chan struct{}
	wg   sync.WaitGroup // background goroutines (writer sweep, link watcher)
}

// Start starts the embedded server (unless cfg.NATSURL is set), connects to
// it in-process and returns a ready engine. ctx bounds the start.
func Start(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Instance == "" {
		cfg.Instance = nats.NewInbox()[len(nats.InboxPrefix):]
	}
	e := &Engine{
		cfg:       cfg,
		log:       cfg.Logger.With("component", "engine"),
		streams:   make(map[string]*nsStream),
		writers:   newWriterTable(),
		dispatch:  newDispatcher(max(2, runtime.GOMAXPROCS(0))),
		stop:      make(chan struct{}),
		instToken: EncodeToken(cfg.Instance),
	}
	var err error
	if cfg.NATSURL == "" {
		if err = e.startEmbedded(ctx); err != nil {
			return nil, e.abort(err)
		}
		e.nc, err = nats.Connect("", append(e.connOptions(), nats.InProcessServer(e.srv))...)
	} else {
		e.nc, err = nats.Connect(cfg.NATSURL, e.connOptions()...)
	}
	if err != nil {
		return nil, e.abort(fmt.Errorf("engine: connect to NATS: %w", err))
	}
	if cfg.Domain != "" {
		e.js, err = jetstream.NewWithDomain(e.nc, cfg.Domain)
		e.apiPrefix = "$JS." + cfg.Domain + ".API."
	} else {
		e.js, err = jetstream.New(e.nc)
		e.apiPrefix = "$JS.API."
	}
	if err != nil {
		return nil, e.abort(fmt.Errorf("engine: JetStream context: %w", err))
	}
	e.directGet = e.apiPrefix + "DIRECT.GET."
	if e.singleNode() {
		if err := e.dispatch.routePrefixes(e.nc, subjectOut, subjectEphemeral); err != nil {
			return nil, e.abort(err)
		}
	}
	if err := e.waitJetStream(ctx); err != nil {
		return nil, e.abort(err)
	}
	up, detail := e.probeLink()
	e.link.state = LinkState{Up: up, Detail: detail, Since: time.Now()}
	e.wg.Add(2)
	go e.sweepWriters()
	go e.watchLink()
	return e, nil
}

func (e *Engine) connOptions() []nats.Option {
	return []nats.Option{
		nats.Name("liveroom " + e.cfg.NodeName),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() {
				return // our own Close
			}
			e.log.Warn("NATS connection lost", "err", err)
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if err := e.ConnectionLost(); err != nil {
				e.log.Error("NATS connection closed and will not reconnect: this node serves nothing until it restarts (its /healthz now fails)", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			e.log.Info("NATS connection restored", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			e.log.Warn("NATS async error", "subject", subj, "err", err)
		}),
	}
}

func (e *Engine) startEmbedded(ctx context.Context) error {
	opts, err := e.serverOptions()
	if err != nil {
		return err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("engine: configure embedded NATS: %w", err)
	}
	srv.SetLoggerV2(&natsLogger{log: e.log.With("component", "nats")}, false, false, false)
	go srv.Start()
	wait := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		var listens []string
		if e.cfg.ClusterListen != "" {
			listens = append(listens, "cluster routes on "+e.cfg.ClusterListen)
		}
		if e.cfg.LeafListen != "" {
			listens = append(listens, "edges on "+e.cfg.LeafListen)
		}
		if len(listens) == 0 {
			return fmt.Errorf("engine: embedded NATS did not become ready within %s; see its errors above", wait.Round(time.Second))
		}
		return fmt.Errorf("engine: embedded NATS did not become ready within %s (it listens for %s: is a port in use or the address wrong? see its errors above)",
			wait.Round(time.Second), strings.Join(listens, " and "))
	}
	e.srv = srv
	return nil
}

// abort undoes a failed Start and returns err.
func (e *Engine) abort(err error) error {
	close(e.stop) // our own close: not reported as the connection lost
	if e.nc != nil {
		e.nc.Close()
	}
	e.dispatch.close()
	e.shutdownServer()
	return err
}

func (e *Engine) shutdownServer() {
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
}

// ConnectionLost returns why the node's NATS connection is closed for good
// while the engine is running (nil while it is connected or reconnecting,
// and after Close). nats.go closes a connection for good after some
// protocol errors from the server ("maximum control line exceeded", an
// authorization change); the node can then serve nothing until it restarts,
// so its liveness check fails on this.
func (e *Engine) ConnectionLost() error {
	select {
	case <-e.stop:
		return nil
	default:
	}
	if e.nc == nil || !e.nc.IsClosed() {
		return nil
	}
	if err := e.nc.LastError(); err != nil {
		return fmt.Errorf("engine: the NATS connection closed for good: %w", err)
	}
	return errors.New("engine: the NATS connection closed for good")
}

// Embedded reports whether the NATS server runs in this process.
func (e *Engine) Embedded() bool { return e.srv != nil }

// Close flushes what is in flight, closes the connection and, when embedded,
// shuts the server down (which flushes JetStream's files).
func (e *Engine) Close(ctx context.Context) error {
	select {
	case <-e.stop:
		return nil
	default:
		close(e.stop)
	}
	e.wg.Wait()
	var err error
	if e.nc != nil {
		if ferr := e.flush(ctx); ferr != nil && !errors.Is(ferr, nats.ErrConnectionClosed) {
			err = fmt.Errorf("engine: flush: %w", ferr)
		}
		e.nc.Close()
	}
	e.dispatch.close()
	e.shutdownServer()
	return err
}

// natsLogger forwards the embedded server's logs to slog.
type natsLogger struct{ log *slog.Logger }

func (l *natsLogger) Noticef(f string, v ...any) { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l *natsLogger) Warnf(f string, v ...any)   { l.log.Warn(fmt.Sprintf(f, v...)) }
func (l *natsLogger) Fatalf(f string, v ...any)  { l.log.Error(fmt.Sprintf(f, v...)) }
func (l *natsLogger) Errorf(f string, v ...any)  { l.log.Error(fmt.Sprintf(f, v...)) }
func (l *natsLogger) Debugf(f string, v ...any)  { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l *natsLogger) Tracef(f string, v ...any)  {}
