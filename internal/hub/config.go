package hub

import (
	"crypto/rand"
	"log/slog"
	"time"
)

// Config is what the hub needs to know; the server fills it from the
// configuration file, environment and flags.
type Config struct {
	// NodeID names this node in connect replies and logs.
	NodeID string
	// Instance identifies this run of the node (random per start); the
	// engine tags this node's presence records with the same value.
	Instance string
	// NodeTimeout is how long a node may stay silent before the others
	// count it as gone and remove its presence; nodes announce themselves
	// every NodeTimeout/4.
	NodeTimeout time.Duration
	// Fingerprints of the keys this node verifies tokens and API calls
	// with, announced to the other nodes, which log an error when theirs
	// differ.
	Fingerprints Fingerprints
	// Version is reported in connect replies.
	Version string

	// PingInterval is how often the server pings each connection (the
	// protocol's empty reply); 0 disables pings.
	PingInterval time.Duration
	// PongTimeout is how long after a ping the client's pong may take
	// before the connection is closed with 3012.
	PongTimeout time.Duration
	// ConnectTimeout is how long a new connection may take to send its
	// connect command before it is closed with 3502.
	ConnectTimeout time.Duration
	// ExpiryGrace is how long after its token expired a connection has to
	// refresh before it is closed with 3005.
	ExpiryGrace time.Duration
	// AllowAnonymous lets connections without a token in, as user "".
	AllowAnonymous bool

	// QueueMaxBytes caps bytes waiting for one connection (hub queue plus
	// transport buffer); past it the connection is closed with 3008.
	QueueMaxBytes int
	// WriteTimeout closes a connection with 3008 when its transport has
	// held unsent bytes for this long.
	WriteTimeout time.Duration
	// MaxFrameBytes caps one transport message the hub writes; larger
	// batches are split.
	MaxFrameBytes int

	// MaxSubscriptions per connection (106 past it); 0 = unlimited.
	MaxSubscriptions int
	// CommandsPerSecond and CommandsBurst rate-limit commands per
	// connection (111 past it); 0 = unlimited.
	CommandsPerSecond float64
	CommandsBurst     int
	// MaxConnectionsPerUser and MaxConnectionsPerIP cap concurrent
	// connections; 0 = unlimited.
	MaxConnectionsPerUser int
	MaxConnectionsPerIP   int

	// PresenceTTL is how long a presence entry lives without being
	// refreshed; the hub refreshes its entries every PresenceTTL/3.
	PresenceTTL time.Duration
	// PresenceMaxList caps entries in a presence reply.
	PresenceMaxList int
	// ChannelLinger is how long a channel's node state (recent
	// publications, engine subscriptions) is kept after its last local
	// subscriber left, so a wave of resubscribes recovers from memory;
	// 0 stops it at once.
	ChannelLinger time.Duration
	// RecoveryCacheSize is how many recent publications each channel
	// keeps in memory on this node to recover clients without reading
	// the stream.
	RecoveryCacheSize int

	// Namespaces lists channel namespaces; "" is the default namespace
	// (channels without ':').
	Namespaces []Namespace

	// Observer receives command and engine timings for metrics (may be
	// nil).
	Observer Observer

	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.NodeTimeout <= 0 {
		c.NodeTimeout = 10 * time.Second
	}
	if c.Instance == "" {
		c.Instance = c.NodeID + "-" + rand.Text()
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = 8 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.QueueMaxBytes <= 0 {
		c.QueueMaxBytes = 1 << 20
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 64 << 10
	}
	if c.PresenceTTL <= 0 {
		c.PresenceTTL = time.Minute
	}
	if c.PresenceMaxList <= 0 {
		c.PresenceMaxList = 1000
	}
	if c.RecoveryCacheSize <= 0 {
		c.RecoveryCacheSize = 128
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

// SubscribeRule says who may subscribe to channels of a namespace.
type SubscribeRule string

// Subscribe rules.
const (
	SubscribeAnonymous     SubscribeRule = "anonymous"     // anyone, also connections without a user
	SubscribeAuthenticated SubscribeRule = "authenticated" // any connection with a user
	SubscribeToken         SubscribeRule = "token"         // a subscription token for the channel is required
	SubscribeUser          SubscribeRule = "user"          // only the user named after ':' (personal channels)
)

// PublishRule says who may publish from a client connection.
type PublishRule string

// Publish rules.
const (
	PublishNone          PublishRule = "none"          // clients never publish; the server API does
	PublishAuthenticated PublishRule = "authenticated" // any connection with a user that may subscribe
	PublishSubscriber    PublishRule = "subscriber"    // only connections subscribed to the channel
	PublishAnonymous     PublishRule = "anonymous"     // anyone that may subscribe
)

// Namespace holds the rules of one channel namespace.
type Namespace struct {
	Name string
	// HistorySize > 0 keeps that many publications per channel in the
	// engine, with offsets and an epoch; 0 sends publications over core
	// subjects only.
	HistorySize int
	// HistoryTTL hides publications older than this (0 = no limit).
	HistoryTTL time.Duration
	// Recovery lets clients resubscribe from their last position.
	Recovery bool
	// Presence keeps who is subscribed; JoinLeave pushes joins and leaves.
	Presence  bool
	JoinLeave bool
	Subscribe SubscribeRule
	Publish   PublishRule
	// MaxPublicationBytes caps one publication's data (0 = 64 KiB).
	MaxPublicationBytes int
	// PublishRate and PublishBurst rate-limit client publications per
	// connection in this namespace (0 = unlimited).
	PublishRate  float64
	PublishBurst int
	// Delta offers fossil delta compression of publications to
	// subscribers that ask for it (SubscribeRequest.delta "fossil"); only
	// with history, whose offsets chain the deltas.
	Delta bool
	// AppendOnly: the engine refuses deleting or purging the namespace's
	// history (audit logs).
	AppendOnly bool
}

// HasHistory reports whether channels of the namespace are stored.
func (n *Namespace) HasHistory() bool { return n.HistorySize > 0 }
