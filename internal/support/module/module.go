// Package module runs support chat (package support) on the hub: its RPC
// methods, its server API methods and the guards of its namespaces. A
// conversation's state is the fold of its channel's events, replayed on
// first use on a node; each command is decided on that state and its
// event appended with the channel's expected offset, deciding again when
// another node wrote first (design D4) — which is how exactly one of two
// racing agents claims a conversation. The queue index, the one open
// conversation per user and display names live in the key-value bucket
// "support"; the index is a projection of the conversations, rewritten
// from their state whenever they change. Any node serves any
// conversation; the module starts no goroutines.
package module

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// Host is what the module needs from the hub (a *hub.Hub has it all).
type Host interface {
	Modules() hub.ModuleStore
	// Publish sends typing indicators (channels without history).
	Publish(ctx context.Context, channel string, data []byte, idempotencyKey string) (hub.PublishOutcome, *wire.Error)
	// Presence tells whether a user is connected to a conversation.
	Presence(ctx context.Context, channel string) (map[string]*protocol.ClientInfo, int, *wire.Error)
	// UnsubscribeUser ends a released agent's subscriptions on every node.
	// reason ("" for the protocol's default) is told to the client.
	UnsubscribeUser(channel, user, client, reason string) *wire.Error
	RegisterRPC(method string, fn hub.RPCHandler)
	GuardNamespace(ns string, g hub.Guard)
	RedactNamespace(ns string, r hub.Redactor)
}

// Config configures the module.
type Config struct {
	Support support.Config
	// Recent returns up to n recent chat messages of room, oldest first,
	// to attach to a conversation that a opens there (nil: none). It
	// returns none when a may not read the room's chat: a user banned
	// from the room sees none of it through support either. The server
	// wires it to the chat and its rules.
	Recent func(ctx context.Context, a hub.Access, room string, n int) []wire.SupportContextMessage
	// RecentMessages is the n given to Recent.
	RecentMessages int
	// CurrentRecent brings a conversation's copies of room messages up to
	// date whenever the conversation is read (its transcript, its
	// channel's history and recovery): copies of messages deleted or
	// cleared since are left out, edited ones get the latest text (nil:
	// served as copied). An error fails the read; nothing is served
	// unchecked. The server wires it to the chat.
	CurrentRecent func(ctx context.Context, room string, msgs []wire.SupportContextMessage) ([]wire.SupportContextMessage, error)
	// RoomModerator reports whether the one accessing a room's support
	// audit log moderates that room (nil: only the token's roles count).
	// The server wires it to the chat's rules.
	RoomModerator func(ctx context.Context, a hub.Access, room string) bool
	// MaxCached conversations stay in memory per node; past it, those
	// unused for IdleAfter are dropped (their state stays in the streams).
	MaxCached int
	IdleAfter time.Duration
	// MaxScan bounds the summaries one list (support_list, the queue)
	// reads: the most recently written ones (0: 10,000).
	MaxScan int
	Logger  *slog.Logger
	// Now is the clock (nil: time.Now); tests may set it.
	Now func() time.Time
}

// Module is support chat on one node.
type Module struct {
	cfg   Config
	host  Host
	store hub.ModuleStore
	log   *slog.Logger

	mu    sync.Mutex
	convs map[string]*conv // (mu)

	names  nameCache
	shared sharedLogs // the queue and audit channels, which every conversation appends to
}

// New builds the module; Register it with the hub.
func New(cfg Config, host Host) *Module {
	if cfg.MaxCached <= 0 {
		cfg.MaxCached = 10000
	}
	if cfg.MaxScan <= 0 {
		cfg.MaxScan = defaultMaxScan
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
	return &Module{cfg: cfg, host: host, store: host.Modules(), log: cfg.Logger.With("component", "support"), convs: map[string]*conv{}}
}

// Register adds support's RPC methods and the guards of its namespaces.
// The audit namespace is shared by features, so its guard is the
// server's: it calls GuardAudit for "support.*".
func (m *Module) Register() {
	for method, fn := range m.RPCMethods() {
		m.host.RegisterRPC(method, fn)
	}
	m.host.GuardNamespace("support", m.guardConversation)
	m.host.GuardNamespace("supporttyping", m.guardTyping)
	m.host.GuardNamespace("supportq", m.guardQueue)
	if m.cfg.CurrentRecent != nil {
		m.host.RedactNamespace("support", m.redactConversation)
	}
}

func (m *Module) now() time.Time { return m.cfg.Now() }
