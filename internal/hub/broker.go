package hub

import (
	"context"
	"errors"
	"time"
)

// Broker is everything the hub needs from the engine (design D2/D3). The
// server adapts the JetStream engine to it; tests use the same engine.
//
// Guarantees the hub relies on:
//   - Publish returns only after the publication is stored; offsets in a
//     channel are exactly previous + 1; the epoch changes only when history
//     is lost.
//   - Deliveries of a channel reach fn in offset order, from one goroutine,
//     after they are stored; some may be missed (at most once), which the
//     hub detects by offset and fills with ReadAfter.
//   - ReadAfter never returns a partial window silently: if publications
//     after the position are gone it returns ErrUnrecoverable.
type Broker interface {
	// Publish stores body as the next publication of ch. A non-empty
	// idempotencyKey makes a retry within 2 minutes return the first
	// write's position with duplicate = true.
	Publish(ctx context.Context, ch ChannelID, body []byte, idempotencyKey string) (pos StreamPosition, duplicate bool, err error)
	// Append is Publish with optimistic concurrency: it stores body only if
	// the channel's newest offset is expected (0: empty), else it fails
	// with ErrOffsetMoved and stores nothing.
	Append(ctx context.Context, ch ChannelID, body []byte, expected uint64) (StreamPosition, error)
	// Top returns the channel's newest offset (0 if never published) and
	// epoch without writing anything.
	Top(ctx context.Context, ch ChannelID) (StreamPosition, error)
	// LeaderTop is Top as the stream's leader has it. Top and the reads
	// may be answered by a replica that is behind (one cut off from the
	// others until just now); LeaderTop is for catching up after that.
	LeaderTop(ctx context.Context, ch ChannelID) (StreamPosition, error)
	// ReadAfter returns up to limit (all if < 0) publications with offsets
	// greater than after, oldest first.
	ReadAfter(ctx context.Context, ch ChannelID, after uint64, limit int, now time.Time) (HistoryWindow, error)
	// ReadOldest returns up to limit (all if < 0) of the oldest
	// publications history still serves, oldest first.
	ReadOldest(ctx context.Context, ch ChannelID, limit int, now time.Time) (HistoryWindow, error)
	// Deliveries subscribes this node to ch's live stored publications.
	Deliveries(ctx context.Context, ch ChannelID, fn func(StoredPublication)) (Stopper, error)

	// PublishEphemeral and EphemeralDeliveries carry channels without
	// history, and presence events, over core subjects.
	PublishEphemeral(ch ChannelID, kind EphemeralKind, body []byte) error
	EphemeralDeliveries(ctx context.Context, ch ChannelID, kind EphemeralKind, fn func(body []byte)) (Stopper, error)

	// Presence entries live in a key-value bucket with a TTL; the hub
	// re-puts its entries before they expire.
	PresencePut(ctx context.Context, ch ChannelID, client, user string, info []byte) error
	PresenceDelete(ctx context.Context, ch ChannelID, client, user string) error
	// PresenceLive reports whether the connection's entry is in the store
	// and not a tombstone (deleted, or reaped by another node that took
	// this node for dead).
	PresenceLive(ctx context.Context, ch ChannelID, client, user string) (bool, error)
	// PresenceList returns up to max entries and the total number.
	PresenceList(ctx context.Context, ch ChannelID, max int) (entries []PresenceEntry, total int, err error)

	// A user's connections across the cluster, for per-user limits:
	// entries live, like presence, until the TTL unless re-put.
	ConnectionPut(ctx context.Context, user, client string) error
	ConnectionDelete(ctx context.Context, user, client string) error
	// ConnectionsElsewhereBefore counts the user's live connections on
	// other nodes recorded before client's own record (all of them if it
	// has none); this node's own are counted by the hub.
	ConnectionsElsewhereBefore(ctx context.Context, user, client string) (int, error)

	// Key-value buckets (created on first use, replicated like history):
	// KVGet fails with ErrKeyNotFound; KVCreate with ErrKeyExists; KVUpdate
	// (compare-and-set on the revision) with ErrRevisionMoved; keys hold
	// letters, digits and -/_=. only (see KVKey). KVKeys lists keys matching
	// a NATS subject filter ("user.*"), at most limit (≤ 0: all).
	KVGet(ctx context.Context, bucket, key string) (value []byte, revision uint64, err error)
	KVCreate(ctx context.Context, bucket, key string, value []byte) (revision uint64, err error)
	KVUpdate(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error)
	KVPut(ctx context.Context, bucket, key string, value []byte) (revision uint64, err error)
	KVDelete(ctx context.Context, bucket, key string) error
	KVKeys(ctx context.Context, bucket, filter string, limit int) ([]string, error)
	// ReapInstance removes the presence entries and connection records
	// written by a node run (Config.Instance) that is gone, calling fn for
	// each presence entry this node removed. When several nodes reap the
	// same run at once, each entry is removed, and reported, by exactly one
	// of them.
	ReapInstance(ctx context.Context, instance string, fn func(GoneEntry)) (int, error)

	// Control bus between nodes.
	Broadcast(topic string, data []byte) error
	Listen(ctx context.Context, topic string, fn func(data []byte, reply string)) (Stopper, error)
	Reply(reply string, data []byte) error
	Gather(ctx context.Context, topic string, data []byte, want int, wait time.Duration) ([][]byte, error)

	// Healthy checks that the engine answers within ctx.
	// StoreFailure returns an error wrapping ErrStoreFailed when the
	// namespace's store is already known to have failed on this node, else
	// nil (no round trip).
	StoreFailure(namespace string) error
	Healthy(ctx context.Context) error
}

// EphemeralKind separates what travels over a channel's core subjects.
type EphemeralKind uint8

// Ephemeral kinds.
const (
	EphemeralPublication EphemeralKind = iota // publications of channels without history
	EphemeralPresence                         // join and leave events
)

// ChannelID names a channel and the namespace it belongs to.
type ChannelID struct {
	Name      string
	Namespace string
}

// StreamPosition is a position in a channel's stream.
type StreamPosition struct {
	Offset uint64 `json:"offset"`
	Epoch  string `json:"epoch"`
}

// StoredPublication is a stored publication of a channel.
type StoredPublication struct {
	Offset uint64
	Time   time.Time
	// Body is the publication encoded by the hub (protocol.Publication in
	// Protobuf, without its offset).
	Body []byte
}

// HistoryWindow is a read of a channel's history.
type HistoryWindow struct {
	Pubs  []StoredPublication
	First uint64 // oldest offset history still serves (0 if none)
	Top   uint64 // highest offset this read saw
	Epoch string
}

// PresenceEntry is one connection present in a channel.
type PresenceEntry struct {
	Client string
	User   string
	Info   []byte // ClientInfo encoded by the hub
}

// GoneEntry is a presence entry of a gone node run, removed by ReapInstance.
type GoneEntry struct {
	Channel ChannelID
	Client  string
	User    string
	Info    []byte // as given to PresencePut
}

// Stopper ends a subscription.
type Stopper interface{ Stop() }

// Errors a Broker returns (wrapped) that the hub maps to protocol errors.
var (
	ErrUnrecoverable = errors.New("position no longer in history")
	ErrStorageFull   = errors.New("storage full")
	// ErrStoreFailed: this node can no longer store publications of the
	// channel's namespace, or writes to the key-value bucket, until it
	// restarts (its store hit a write error). See StoreFailedError.
	ErrStoreFailed = errors.New("the store failed on this node")
	ErrTooLarge    = errors.New("publication too large for the stream")
	ErrConflict    = errors.New("too many concurrent writers on the channel")
	// ErrNameTooLong: a channel, user, client id or key would make a
	// subject longer than the message bus accepts; nothing was sent.
	ErrNameTooLong = errors.New("name too long for the message bus")
	// ErrUnknownOutcome: the publication may or may not have been stored
	// (the engine did not confirm it in time, e.g. during a leader election).
	ErrUnknownOutcome = errors.New("publication outcome unknown")
	// ErrOffsetMoved: Append's expected offset is no longer the channel's
	// newest; another writer appended first.
	ErrOffsetMoved = errors.New("channel offset moved")
	// Key-value outcomes.
	ErrKeyNotFound   = errors.New("key not found")
	ErrKeyExists     = errors.New("key exists")
	ErrRevisionMoved = errors.New("key revision moved")
)
