package engine

import (
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// A namespace's stream is shared by every node of a cluster, and each node
// ensures it with its own configuration when it starts. One node with a
// smaller history_size (a stale file, a typo) or fewer routes (so fewer
// automatic replicas) used to update the stream for the whole cluster:
// history trimmed on every node at once, copies dropped from 3 to 1, and
// nothing logged. reconcileStream keeps what would lose data or copies.

// loweredSetting is one setting an existing stream keeps although this
// node's configuration asks for less.
type loweredSetting struct {
	name      string // the configuration's name for it
	kept, ask int64
}

func (l loweredSetting) String() string {
	return fmt.Sprintf("%s: the stream keeps %d, this node's configuration asks for %d", l.name, l.kept, l.ask)
}

// limitLower reports whether want is a tighter limit than have, where a
// limit ≤ 0 means none.
func limitLower(have, want int64) bool {
	return want > 0 && (have <= 0 || want < have)
}

// reconcileStream returns the settings to give an existing stream: want,
// except that, unless allowLower, the replicas, the messages kept per
// channel, the stream's message and byte limits and its max age are never
// lowered
// (raising them loses nothing and is applied). It also returns what it
// kept.
func reconcileStream(have, want jetstream.StreamConfig, allowLower bool) (jetstream.StreamConfig, []loweredSetting) {
	if allowLower {
		return want, nil
	}
	var kept []loweredSetting
	if want.Replicas < have.Replicas {
		kept = append(kept, loweredSetting{"replicas (cluster.replicas, or automatic from the routes)", int64(have.Replicas), int64(want.Replicas)})
		want.Replicas = have.Replicas
	}
	if limitLower(have.MaxMsgsPerSubject, want.MaxMsgsPerSubject) {
		kept = append(kept, loweredSetting{"publications kept per channel (history_size)", have.MaxMsgsPerSubject, want.MaxMsgsPerSubject})
		want.MaxMsgsPerSubject = have.MaxMsgsPerSubject
	}
	if limitLower(have.MaxMsgs, want.MaxMsgs) {
		kept = append(kept, loweredSetting{"messages kept in the stream", have.MaxMsgs, want.MaxMsgs})
		want.MaxMsgs = have.MaxMsgs
	}
	if limitLower(have.MaxBytes, want.MaxBytes) {
		kept = append(kept, loweredSetting{"bytes kept in the stream", have.MaxBytes, want.MaxBytes})
		want.MaxBytes = have.MaxBytes
	}
	if limitLower(int64(have.MaxAge), int64(want.MaxAge)) {
		// The presence stream's max age is presence.ttl: a node with a
		// shorter one would expire the entries other nodes re-put at
		// their own, longer interval.
		kept = append(kept, loweredSetting{"max age in ns (presence.ttl for the presence stream)", int64(have.MaxAge), int64(want.MaxAge)})
		want.MaxAge = have.MaxAge
	}
	return want, kept
}

// lowerLimitsAllowed reports whether this node may lower a stream's
// settings: a single embedded node (its configuration is the only one),
// or a node started with ApplyLowerLimits.
func (e *Engine) lowerLimitsAllowed() bool {
	if e.cfg.ApplyLowerLimits {
		return true
	}
	return e.cfg.NATSURL == "" && e.cfg.Edge == "" && e.cfg.ClusterListen == "" && len(e.cfg.Routes) == 0
}
