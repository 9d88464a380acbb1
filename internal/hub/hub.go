// Package hub holds connections, channels, fan-out, presence and recovery.
// It speaks the Centrifugo client protocol v2 through a Transport, and
// reaches the engine only through the Broker interface.
//
// The main loop of a connection: the transport calls Session.HandleMessage
// with each message it reads; the client decodes the commands in it,
// answers pongs and rate limits inline, and runs the other commands one at
// a time, in order, on a goroutine that exists only while commands are
// waiting. Replies and publications for the connection go through one
// bounded queue that a writer shard drains (see outbound.go). Each channel
// with local subscribers has one engine subscription on this node and an
// in-memory window of recent publications (see channel.go).
package hub

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Hub is one node's set of connections and channels.
type Hub struct {
	// born is when the hub was made; connections keep their accept time
	// as the (monotonic) time since, 8 bytes instead of a time.Time's 24.
	born   time.Time
	cfg    Config
	log    *slog.Logger
	broker Broker
	auth   Authenticator
	ns     map[string]*Namespace
	rpc    rpcRegistry
	guards guardTable
	// redactors rewrite withdrawn publications in history and recovery.
	redactors redactorTable

	metrics  metrics
	writers  *writerPool
	clients  clientRegistry
	channels channelRegistry
	// cuts are the disconnect orders received lately (see cutLog).
	cuts cutLog

	nextShard atomic.Uint32
	draining  atomic.Bool

	ctx    context.Context // cancelled by Shutdown; parent of background work
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines

	bgMu      sync.Mutex     // guards bgStopped and h.wg.Add after Start
	bgStopped bool           // Shutdown is waiting for h.wg: start nothing more
	cmdWG     sync.WaitGroup // command goroutines in flight
	// cmdGate orders command goroutine starts (read-locked around
	// cmdWG.Add) before Shutdown's cmdWG.Wait: Shutdown write-locks it to
	// set cmdStopped, after which no command goroutine starts.
	cmdGate    sync.RWMutex
	cmdStopped bool // cmdGate

	listeners []Stopper // control bus subscriptions
	nodes     nodeTable
	link      linkTable
	started   time.Time

	storageFullAt atomic.Int64 // unix ns of the last publish refused for storage
	// reapedUntil: until then (unix ns) other nodes may have reaped this
	// node's presence entries (see MayHaveBeenReaped).
	reapedUntil atomic.Int64
}

// storageFullWindow is how long a storage refusal keeps the node not ready.
const storageFullWindow = 30 * time.Second

// Ready returns why this node should not take traffic, or nil: shutting
// down, the NATS link down (or channels still catching up after it came
// back), storage recently full, or the engine failing its probe (a
// publication stored and delivered back to this node).
func (h *Hub) Ready(ctx context.Context) error {
	if h.draining.Load() {
		return errors.New("shutting down")
	}
	if reason := h.linkNotReady(); reason != "" {
		return errors.New(reason)
	}
	if at := h.storageFullAt.Load(); at != 0 {
		if ago := time.Since(time.Unix(0, at)); ago < storageFullWindow {
			return fmt.Errorf("storage full: a publication was refused %s ago; free disk space or raise engine.max_storage_bytes", ago.Round(time.Second))
		}
	}
	if err := h.broker.Healthy(ctx); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	return nil
}

// New builds a hub. Start it before accepting connections.
func New(cfg Config, broker Broker, auth Authenticator) (*Hub, error) {
	cfg.setDefaults()
	h := &Hub{
		born:   time.Now(),
		cfg:    cfg,
		log:    cfg.Logger.With("component", "hub"),
		broker: broker,
		auth:   auth,
		ns:     make(map[string]*Namespace),
	}
	for i := range cfg.Namespaces {
		n := cfg.Namespaces[i]
		if _, dup := h.ns[n.Name]; dup {
			return nil, fmt.Errorf("hub: namespace %q configured twice", n.Name)
		}
		if n.MaxPublicationBytes <= 0 {
			n.MaxPublicationBytes = 64 << 10
		}
		h.ns[n.Name] = &n
	}
	h.clients.init()
	h.channels.init(h.cfg.ChannelLinger)
	h.registerBuiltinRPC()
	return h, nil
}

// Start starts the hub's background work: writer shards, the liveness
// sweep, presence refresh and the control bus listeners.
func (h *Hub) Start(ctx context.Context) error {
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.started = time.Now()
	h.writers = newWriterPool(runtime.GOMAXPROCS(0))
	if err := h.listenControl(ctx); err != nil {
		h.cancel()
		h.writers.close()
		h.cancel = nil // not started: Shutdown has nothing to stop
		return err
	}
	h.wg.Add(2)
	go h.sweepLoop()
	go h.presenceRefreshLoop()
	return nil
}

// goBackground runs fn on a goroutine tracked by h.wg, unless the hub is
// shutting down.
func (h *Hub) goBackground(fn func()) {
	h.bgMu.Lock()
	defer h.bgMu.Unlock()
	if h.bgStopped {
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		fn()
	}()
}

// Namespaces returns the configured namespaces (for the engine's streams).
func (h *Hub) Namespaces() []Namespace {
	out := make([]Namespace, 0, len(h.ns))
	for _, n := range h.ns {
		out = append(out, *n)
	}
	return out
}

// namespace returns the namespace of a validated channel name.
func (h *Hub) namespace(nsName string) *Namespace { return h.ns[nsName] }

// resolveChannel validates a channel name and finds its namespace:
// 107 for an invalid name, 102 when no namespace matches.
func (h *Hub) resolveChannel(name string) (*Namespace, *wire.Error) {
	nsName, werr := ValidateChannel(name)
	if werr != nil {
		return nil, werr
	}
	n := h.ns[nsName]
	if n == nil {
		if nsName == "" {
			return nil, wire.Errorf(wire.CodeUnknownChannel, false, "channel %q has no namespace and the default namespace is not configured", name)
		}
		return nil, wire.Errorf(wire.CodeUnknownChannel, false, "unknown channel namespace %q", nsName)
	}
	return n, nil
}

// Shutdown stops taking commands, disconnects every client with 3001 over a
// jittered window of drainWindow (so clients do not reconnect all at once),
// waits for commands in flight, and stops background work.
func (h *Hub) Shutdown(ctx context.Context, drainWindow time.Duration) error {
	if !h.draining.CompareAndSwap(false, true) {
		return nil
	}
	if h.cancel == nil {
		return nil // never started (the server failed before Start): nothing runs
	}
	var clients []*Client
	h.forEachClient(func(c *Client) { clients = append(clients, c) })
	if len(clients) > 0 {
		h.log.Info("disconnecting clients for shutdown", "clients", len(clients), "window", drainWindow)
	}
	spreadDisconnect(ctx, clients, drainWindow, wire.DisconnectShutdown)
	// A request being decoded when its connection closed still admits
	// its later commands; none may start a goroutine once Wait runs.
	h.cmdGate.Lock()
	h.cmdStopped = true
	h.cmdGate.Unlock()
	done := make(chan struct{})
	go func() {
		h.cmdWG.Wait()
		h.clients.waitEmpty(ctx)
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("hub: shutdown: %w", ctx.Err())
	}
	for _, l := range h.listeners {
		l.Stop()
	}
	h.cancel()
	h.bgMu.Lock()
	h.bgStopped = true
	h.bgMu.Unlock()
	h.wg.Wait()
	h.channels.stopAll()
	h.writers.close()
	return err
}

// spreadDisconnect closes clients evenly over window, in random order.
func spreadDisconnect(ctx context.Context, clients []*Client, window time.Duration, d wire.Disconnect) {
	if len(clients) == 0 {
		return
	}
	shuffle(clients)
	step := window / time.Duration(len(clients))
	start := time.Now()
	for i, c := range clients {
		if step > 0 {
			at := start.Add(step * time.Duration(i))
			if wait := time.Until(at); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					step = 0
				case <-t.C:
				}
			}
		}
		c.Disconnect(d)
	}
}

func shuffle(cs []*Client) {
	var b [8]byte
	for i := len(cs) - 1; i > 0; i-- {
		_, _ = rand.Read(b[:])
		j := int(uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24) % (i + 1)
		cs[i], cs[j] = cs[j], cs[i]
	}
}

// Accept admits a connection (hub.Acceptor).
func (h *Hub) Accept(t Transport, info ConnInfo) (Session, error) {
	if h.draining.Load() {
		return nil, &DisconnectError{wire.DisconnectShutdown}
	}
	c := &Client{
		hub:        h,
		id:         rand.Text(),
		t:          t,
		proto:      info.Protocol,
		remote:     info.RemoteAddr,
		shard:      h.nextShard.Add(1),
		acceptedAt: time.Since(h.born),
		session:    emulationSession(info.Emulation),
		originless: info.Header.Get("Origin") == "",
	}
	if zt, ok := t.(DeflateTransport); ok && zt.CompressMinBytes() > 0 {
		c.zmin = int32(min(zt.CompressMinBytes(), math.MaxInt32))
	}
	c.limiter.init(h.cfg.CommandsPerSecond, h.cfg.CommandsBurst, h.born.Add(c.acceptedAt))
	if err := h.clients.add(c, h.cfg.MaxConnectionsPerIP); err != nil {
		return nil, err
	}
	h.metrics.connectionsAccepted.Add(1)
	h.metrics.connectionsOpen.Add(1)
	return c, nil
}

func emulationSession(on bool) string {
	if !on {
		return ""
	}
	return rand.Text()
}

// AdmitAddr reports whether a new connection from addr would be refused
// for the per-address limit, so transports can refuse before upgrading.
func (h *Hub) AdmitAddr(addr netip.Addr) error {
	if h.draining.Load() {
		return &DisconnectError{wire.DisconnectShutdown}
	}
	return h.clients.admitAddr(addr, h.cfg.MaxConnectionsPerIP)
}

func (h *Hub) forEachClient(fn func(*Client)) { h.clients.each(fn) }
