// Package module runs the chat state machine (package chat) on the hub:
// the chat's RPC methods, its server API methods and the guards of its
// namespaces. It loads a room's state from a snapshot plus the events
// after it, decides each command on that state, and appends the decided
// events with the stream's expected offset, deciding again when another
// node wrote first (design D4). It holds no state that is not in the
// streams, the snapshots or the profiles bucket: any node serves any room.
package module

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// Host is what the module needs from the hub (a *hub.Hub has it all).
type Host interface {
	Modules() hub.ModuleStore
	// Publish sends notices to personal channels and typing indicators.
	Publish(ctx context.Context, channel string, data []byte, idempotencyKey string) (hub.PublishOutcome, *wire.Error)
	// UnsubscribeUser ends a user's subscriptions on every node.
	// reason ("" for the protocol's default) is told to the client.
	UnsubscribeUser(channel, user, client, reason string) *wire.Error
	// RecheckUser asks the guards again about a user's subscriptions on
	// every node, ending those they now refuse.
	RecheckUser(user string) *wire.Error
	RegisterRPC(method string, fn hub.RPCHandler)
	GuardNamespace(ns string, g hub.Guard)
	RedactNamespace(ns string, r hub.Redactor)
}

// Config configures the module.
type Config struct {
	// Chat holds the limits (zero: chat.DefaultConfig()).
	Chat chat.Config
	// SnapshotEvery is how many events of a stream a node applies between
	// snapshots. It must stay well under the namespaces' history_size, or
	// a room whose snapshot fell out of history loses state.
	SnapshotEvery int
	// IdleAfter drops a room from memory when no command used it for this
	// long (its state stays in the streams).
	IdleAfter time.Duration
	Logger    *slog.Logger
	// Now is the clock (nil: time.Now); tests may set it.
	Now func() time.Time
}

// Module is the chat on one node.
type Module struct {
	cfg   Config
	host  Host
	store hub.ModuleStore
	log   *slog.Logger

	mu    sync.Mutex
	rooms map[string]*room // (mu)

	// redactions holds, per room channel, what its deletes and clears
	// withdrew (redactMu; each entry has its own lock).
	redactMu   sync.Mutex
	redactions map[string]*withdrawals

	profiles profileCache

	// writeRules holds, per room, a copy of who may write, for the
	// floating reactions' guard (its own locks).
	writeRules writeRulesTable

	ctx    context.Context // cancelled by Stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // the tick loop and snapshot writers
}

// New builds the module; Register it with the hub, then Start it.
func New(cfg Config, host Host) *Module {
	if cfg.Chat.MaxChars == 0 {
		cfg.Chat = chat.DefaultConfig()
	}
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 200
	}
	if cfg.IdleAfter <= 0 {
		cfg.IdleAfter = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Module{
		cfg: cfg, host: host, store: host.Modules(), log: cfg.Logger.With("component", "chat"),
		rooms: map[string]*room{}, redactions: map[string]*withdrawals{}, ctx: ctx, cancel: cancel,
	}
}

// Register adds the chat's RPC methods and the guards of the chat, chatmod,
// typing and reactions namespaces. The audit namespace may hold other features' logs
// too, so its guard is the server's: it calls GuardAudit for "chat.*".
func (m *Module) Register() {
	for method, fn := range m.rpcMethods() {
		m.host.RegisterRPC(method, fn)
	}
	m.host.GuardNamespace("chat", m.GuardRoom)
	m.host.GuardNamespace("chatmod", m.guardMod)
	m.host.GuardNamespace("typing", m.guardTyping)
	m.host.GuardNamespace("reactions", m.guardReactions)
	m.host.RedactNamespace("chat", m.redactRoom)
}

// Start starts the tick loop (automatic slow mode, idle rooms).
func (m *Module) Start() {
	m.wg.Add(1)
	go m.tickLoop()
}

// Stop stops the tick loop and waits for snapshot writes in flight.
func (m *Module) Stop() {
	m.cancel()
	m.wg.Wait()
}

func (m *Module) now() time.Time { return m.cfg.Now() }

// tickLoop runs due ticks every second and forgets idle rooms.
func (m *Module) tickLoop() {
	defer m.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		now := m.now()
		m.mu.Lock()
		rooms := make([]*room, 0, len(m.rooms))
		var idle []string
		for id, r := range m.rooms {
			if now.Sub(r.used) > m.cfg.IdleAfter {
				idle = append(idle, id)
			} else {
				rooms = append(rooms, r)
			}
		}
		for _, id := range idle {
			delete(m.rooms, id) // its state stays in the streams and snapshots
		}
		m.mu.Unlock()
		m.dropIdleWithdrawals(now)
		m.dropIdleWriteRules(now)
		// Each room is checked under its own lock only, so a command in
		// one room never holds up the others.
		var due []string
		for _, r := range rooms {
			r.mu.Lock()
			if !r.next.IsZero() && !r.next.After(now) {
				due = append(due, r.id)
			}
			r.mu.Unlock()
		}
		for _, id := range due {
			ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
			if _, err := m.exec(ctx, id, chat.Tick{}); err != nil && !errors.Is(err, context.Canceled) {
				m.log.Warn("tick failed", "room", id, "err", err)
			}
			cancel()
		}
	}
}
