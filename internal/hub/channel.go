package hub

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/centrifugal/protocol"
)

// channel is this node's state for one channel with local subscribers: one
// engine subscription however many subscribers, the channel's top as
// delivered here, and a window of recent publications used to recover
// clients and to fill gaps without reading the stream.
type channel struct {
	hub *Hub
	id  ChannelID
	ns  *Namespace

	refs int32 // subscriptions and joins holding it (channelRegistry.mu)
	// linger stops the channel when it fires; set while it lingers after
	// its last release, generation lingerGen (channelRegistry.mu).
	lingerGen uint32
	linger    *time.Timer
	ready     chan struct{} // closed when start finished
	startErr  error         // set before ready is closed

	// deliverMu serialises deliveries: the engine's delivery goroutine and
	// the start-up drain of deliveries that arrived before the top was
	// known. Lock order: deliverMu before mu.
	deliverMu sync.Mutex

	mu        sync.Mutex // guards everything below
	subs      smallMap[*Client, *subscription]
	jsonSubs  int32  // subscribers using JSON (mu)
	protoSubs int32  // subscribers using Protobuf (mu)
	synced    bool   // epoch and top known (mu)
	stopped   bool   // released; ignore deliveries (mu)
	epoch     string // (mu)
	top       uint64 // offset of the newest publication delivered here (mu)
	recent    recentPubs
	pending   []StoredPublication // deliveries before sync (mu)
	// last is the publication fanned out before the current one, the base
	// of fossil deltas (mu); nil in namespaces without delta.
	last *protocol.Publication

	deliveries     Stopper
	presenceEvents Stopper
}

func newChannel(h *Hub, id ChannelID, ns *Namespace) *channel {
	return &channel{
		hub:    h,
		id:     id,
		ns:     ns,
		ready:  make(chan struct{}),
		recent: recentPubs{max: recoveryCacheSize(h.cfg.RecoveryCacheSize, ns)},
	}
}

// recoveryCacheSize is how many publications a channel of ns keeps in
// memory for recovery: none without recovery (nothing would read them),
// and never more than history keeps, since recovery from memory must not
// return what history no longer serves.
func recoveryCacheSize(configured int, ns *Namespace) int {
	if !ns.Recovery {
		return 0
	}
	return min(configured, max(ns.HistorySize, 0))
}

// start subscribes this node to the channel and learns its top. For
// channels with history the delivery subscription is registered before the
// top is read, so no publication falls between the two; deliveries that
// arrive before the top is known are held and replayed in order.
func (ch *channel) start(ctx context.Context) error {
	b := ch.hub.broker
	if ch.ns.JoinLeave {
		s, err := b.EphemeralDeliveries(ctx, ch.id, EphemeralPresence, ch.onPresenceEvent)
		if err != nil {
			return err
		}
		ch.presenceEvents = s
	}
	if !ch.ns.HasHistory() {
		s, err := b.EphemeralDeliveries(ctx, ch.id, EphemeralPublication, ch.onEphemeral)
		if err != nil {
			ch.stopSubscriptions()
			return err
		}
		ch.deliveries = s
		ch.mu.Lock()
		ch.synced = true
		ch.mu.Unlock()
		return nil
	}
	ch.deliverMu.Lock()
	defer ch.deliverMu.Unlock()
	s, err := b.Deliveries(ctx, ch.id, ch.onDelivery)
	if err != nil {
		ch.stopSubscriptions()
		return err
	}
	ch.deliveries = s
	top, err := b.Top(ctx, ch.id)
	if err != nil {
		ch.stopSubscriptions()
		return err
	}
	ch.mu.Lock()
	ch.epoch, ch.top, ch.synced = top.Epoch, top.Offset, true
	held := ch.pending
	ch.pending = nil
	ch.mu.Unlock()
	for _, p := range held {
		ch.deliverLocked(p)
	}
	return nil
}

func (ch *channel) stopSubscriptions() {
	if ch.deliveries != nil {
		ch.deliveries.Stop()
	}
	if ch.presenceEvents != nil {
		ch.presenceEvents.Stop()
	}
}

func (ch *channel) stop() {
	ch.mu.Lock()
	ch.stopped = true
	ch.recent.reset()
	ch.last = nil
	ch.mu.Unlock()
	ch.stopSubscriptions()
}

// onDelivery runs on the engine's delivery goroutine for this channel.
func (ch *channel) onDelivery(p StoredPublication) {
	ch.mu.Lock()
	if ch.stopped {
		ch.mu.Unlock()
		return
	}
	if !ch.synced {
		ch.pending = append(ch.pending, p)
		ch.mu.Unlock()
		return
	}
	ch.mu.Unlock()
	ch.deliverMu.Lock()
	ch.deliverLocked(p)
	ch.deliverMu.Unlock()
}

// deliverLocked fans out p, first filling any gap before it from the
// stream. The caller holds deliverMu (not mu).
func (ch *channel) deliverLocked(p StoredPublication) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.stopped || p.Offset <= ch.top {
		return // already delivered (seen at start, or filled)
	}
	if p.Offset > ch.top+1 && !ch.readUpToLocked(p.Offset-1) {
		return
	}
	if p.Offset == ch.top+1 {
		ch.fanoutLocked(p)
	}
}

// readUpToLocked reads the publications after ch.top up to offset to from
// the stream and fans them out. The caller holds deliverMu and mu; mu is
// released during the read. It reports false when the channel stopped
// meanwhile. A gap that cannot be filled ends every local subscription
// with 2500 (the clients resubscribe and recover).
func (ch *channel) readUpToLocked(to uint64) bool {
	if to <= ch.top {
		return true
	}
	from := ch.top
	ch.mu.Unlock()
	missing, err := ch.fill(from, to)
	ch.mu.Lock()
	if ch.stopped {
		return false
	}
	if err != nil {
		ch.hub.metrics.gapsUnrecoverable.Add(1)
		ch.hub.log.Warn("gap in channel stream cannot be filled; subscribers must resubscribe",
			"channel", ch.id.Name, "from", from+1, "to", to, "err", err)
		ch.insufficientStateLocked()
		ch.top = to
		return true
	}
	ch.hub.metrics.gapsFilled.Add(1)
	for _, m := range missing {
		if m.Offset == ch.top+1 {
			ch.fanoutLocked(m)
		}
	}
	return true
}

// catchUp delivers what this node missed of the channel (its deliveries
// are at most once): it reads the channel's top and fills up to it. Used
// when the node's link comes back. An epoch that changed (history lost)
// ends the local subscriptions with 2500.
func (ch *channel) catchUp(ctx context.Context) error {
	if !ch.ns.HasHistory() {
		return nil
	}
	top, err := ch.hub.broker.LeaderTop(ctx, ch.id)
	if err != nil {
		return err
	}
	ch.deliverMu.Lock()
	defer ch.deliverMu.Unlock()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.stopped || !ch.synced {
		return nil
	}
	if top.Epoch != ch.epoch {
		ch.hub.log.Warn("channel history was lost while the link was down; subscribers must resubscribe",
			"channel", ch.id.Name, "old_epoch", ch.epoch, "epoch", top.Epoch)
		ch.insufficientStateLocked()
		ch.epoch, ch.top = top.Epoch, top.Offset
		return nil
	}
	ch.readUpToLocked(top.Offset)
	return nil
}

// fill reads offsets (from, to] from the stream. A read that ends before
// to came from a replica that is behind (reads may be answered by any
// replica, and the leader delivers before every replica has applied): it
// is tried again for a short while before the gap counts as lost.
func (ch *channel) fill(from, to uint64) ([]StoredPublication, error) {
	ctx, cancel := context.WithTimeout(ch.hub.ctx, commandTimeout)
	defer cancel()
	wait := 25 * time.Millisecond
	for attempt := 0; ; attempt++ {
		w, err := ch.hub.broker.ReadAfter(ctx, ch.id, from, int(to-from), ch.hub.now())
		if err != nil {
			return nil, err
		}
		if len(w.Pubs) > 0 && w.Pubs[0].Offset != from+1 {
			return nil, ErrUnrecoverable
		}
		if len(w.Pubs) > 0 && w.Pubs[len(w.Pubs)-1].Offset >= to {
			return w.Pubs, nil
		}
		if attempt == fillAttempts-1 {
			return nil, fmt.Errorf("%w: the stream read ends at offset %d, before %d", ErrUnrecoverable, w.Top, to)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 400*time.Millisecond)
	}
}

// fillAttempts bounds the reads of one gap (about 2 s of waiting for a
// replica that is behind).
const fillAttempts = 8

// fanoutLocked encodes p once per protocol in use and queues it for every
// subscriber. The caller holds mu.
func (ch *channel) fanoutLocked(p StoredPublication) {
	pub, err := decodePublication(p.Body)
	if err != nil {
		ch.hub.log.Error("dropping undecodable publication", "channel", ch.id.Name, "offset", p.Offset, "err", err)
		ch.top = p.Offset
		return
	}
	pub.Offset = p.Offset
	ch.recent.add(p.Offset, p.Time, p.Body, replySize([]*protocol.Publication{pub}))
	ch.top = p.Offset
	ch.sendLocked(pub)
}

// onEphemeral runs for publications of channels without history.
func (ch *channel) onEphemeral(body []byte) {
	pub, err := decodePublication(body)
	if err != nil {
		ch.hub.log.Error("dropping undecodable publication", "channel", ch.id.Name, "err", err)
		return
	}
	ch.mu.Lock()
	if !ch.stopped {
		ch.sendLocked(pub)
	}
	ch.mu.Unlock()
}

// insufficientStateLocked ends every local subscription of the channel with
// unsubscribe code 2500, so the clients' SDKs resubscribe and learn, through
// recovery, that they missed publications. The caller holds mu.
func (ch *channel) insufficientStateLocked() {
	ch.recent.reset()
	for c := range ch.subs.all() {
		c.serverUnsubscribe(ch.id.Name, unsubscribeInsufficientState)
	}
}

// addSubscriberLocked adds c's subscription s. A subscription of c that
// is still listed (its leave runs on another goroutine after a server
// unsubscribe, and the client may have subscribed again first) is
// replaced, not counted twice.
func (ch *channel) addSubscriberLocked(c *Client, s *subscription) {
	_, stale := ch.subs.get(c)
	ch.subs.put(c, s)
	if stale {
		return
	}
	if c.proto == protocol.TypeJSON {
		ch.jsonSubs++
	} else {
		ch.protoSubs++
	}
}

// removeSubscriber removes c's subscription s and reports whether it was
// listed; a newer subscription of c that replaced it stays.
func (ch *channel) removeSubscriber(c *Client, s *subscription) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if cur, ok := ch.subs.get(c); !ok || cur != s {
		return false
	}
	ch.subs.remove(c)
	if c.proto == protocol.TypeJSON {
		ch.jsonSubs--
	} else {
		ch.protoSubs--
	}
	return true
}
