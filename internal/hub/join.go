package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/centrifugal/protocol"
)

// streamPos is where a resubscribing client says it stopped.
type streamPos struct {
	recover bool
	epoch   string
	offset  uint64
	// rejectUnrecovered fails the subscribe with 112 instead of
	// succeeding with recovered = false (SubscribeRequest.flag 1<<1).
	rejectUnrecovered bool
}

// subscribeFlagRejectUnrecovered is SubscribeRequest.flag bit 1.
const subscribeFlagRejectUnrecovered = 1 << 1

// errUnrecoverablePosition refuses a subscribe whose position cannot be
// recovered when the client asked for that (code 112).
var errUnrecoverablePosition = errors.New("unrecoverable position")

// unrecoverable says why pos cannot be recovered in a channel at epoch and
// top, wrapping errUnrecoverablePosition.
func unrecoverable(pos streamPos, epoch string, top uint64) error {
	switch {
	case pos.epoch != epoch:
		return fmt.Errorf("%w: epoch %q is not the channel's current epoch %q (its history was reset); load the state again", errUnrecoverablePosition, pos.epoch, epoch)
	case pos.offset > top:
		return fmt.Errorf("%w: offset %d is ahead of the channel's newest, %d; load the state again", errUnrecoverablePosition, pos.offset, top)
	}
	return fmt.Errorf("%w: publications after offset %d are no longer kept; load the state again", errUnrecoverablePosition, pos.offset)
}

// maxRecoveryReads bounds re-reads when the stream keeps moving ahead of
// this node while a client recovers.
const maxRecoveryReads = 3

// join adds c to the channel. onJoin runs under the channel lock, after the
// result (with any recovered publications) is complete and before any
// later publication can be queued for c: queueing the reply there keeps
// the reply ahead of live publications, and live publications after the
// recovered ones, with none lost or repeated. onJoin returns false when
// the client went away; c is then not added.
//
// Recovery is exact (design D3): recovered is true with exactly the
// publications after the client's position, or false with none when the
// gap cannot be filled (other epoch, trimmed or aged out, future position)
// or would not fit in one reply (recoveryTooLargeError).
func (ch *channel) join(ctx context.Context, c *Client, s *subscription, pos streamPos, onJoin func(*protocol.SubscribeResult) bool) error {
	res := &protocol.SubscribeResult{}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.ns.HasHistory() {
		if onJoin(res) {
			ch.addSubscriberLocked(c, s)
		}
		return nil
	}
	res.Recoverable = ch.ns.Recovery
	res.Positioned = ch.ns.Recovery
	if pos.recover && ch.ns.Recovery {
		res.WasRecovering = true
		pubs, ok, err := ch.recoverLocked(ctx, pos)
		var tooLarge *recoveryTooLargeError
		if errors.As(err, &tooLarge) {
			err = nil
		}
		if err != nil {
			return err
		}
		if pubs, err = ch.hub.redact(ctx, ch.id, StreamPosition{Offset: ch.top, Epoch: ch.epoch}, pubs); err != nil {
			return err
		}
		if !ok && pos.rejectUnrecovered {
			ch.hub.metrics.recoveredFalse.Add(1)
			if tooLarge != nil {
				return fmt.Errorf("%w: %w", errUnrecoverablePosition, tooLarge)
			}
			return unrecoverable(pos, ch.epoch, ch.top)
		}
		res.Recovered = ok
		res.Publications = pubs
		if ok {
			ch.hub.metrics.recoveredTrue.Add(1)
		} else {
			ch.hub.metrics.recoveredFalse.Add(1)
		}
	}
	res.Epoch = ch.epoch
	res.Offset = ch.top
	if s.delta {
		res.Delta = true
		res.Publications = ch.fullForDelta(c, s, res.Publications)
	}
	if onJoin(res) {
		ch.addSubscriberLocked(c, s)
	}
	return nil
}

// fullForDelta prepares recovered publications for a delta subscription:
// each goes with its full data (never a delta), as a JSON string on JSON
// connections (the protocol's rule for delta subscriptions), and the last
// one becomes the base of the first live delta. Without recovered
// publications the first live publication goes in full. The publications
// are shared with the recent ring, so JSON ones are copied, not changed.
func (ch *channel) fullForDelta(c *Client, s *subscription, pubs []*protocol.Publication) []*protocol.Publication {
	s.base = 0
	if len(pubs) == 0 {
		return pubs
	}
	last := pubs[len(pubs)-1]
	s.base = last.Offset
	if last.Offset == ch.top && (ch.last == nil || ch.last.Offset < last.Offset) {
		// A channel started for this subscriber has fanned nothing out
		// yet: the newest recovered publication is the delta base.
		ch.last = last
	}
	if c.proto != protocol.TypeJSON {
		return pubs
	}
	out := make([]*protocol.Publication, len(pubs))
	for i, p := range pubs {
		out[i] = withData(p, appendJSONString(nil, p.Data), false)
	}
	return out
}

// recoverLocked returns the publications after pos up to ch.top. It may
// release mu while it reads the stream; it holds mu when it returns.
func (ch *channel) recoverLocked(ctx context.Context, pos streamPos) ([]*protocol.Publication, bool, error) {
	if pos.epoch != ch.epoch || pos.offset > ch.top {
		return nil, false, nil
	}
	if pos.offset == ch.top {
		return nil, true, nil
	}
	notBefore := ch.historyCutoff()
	budget := ch.hub.cfg.QueueMaxBytes / 2
	missed := int(ch.top - pos.offset)
	tooLarge := &recoveryTooLargeError{count: missed, after: pos.offset, budget: budget}
	if pubs, covered, over := ch.recent.since(pos.offset, ch.top, notBefore, budget); covered {
		if over {
			return nil, false, tooLarge
		}
		return pubs, true, nil
	}
	ch.hub.metrics.recoveryReads.Add(1)
	for attempt := 0; attempt < maxRecoveryReads; attempt++ {
		ch.mu.Unlock()
		w, err := ch.hub.broker.ReadAfter(ctx, ch.id, pos.offset, -1, ch.hub.now())
		ch.mu.Lock()
		if errors.Is(err, ErrUnrecoverable) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if w.Epoch != ch.epoch {
			return nil, false, nil
		}
		var out []*protocol.Publication
		size := 0
		next := pos.offset + 1
		for _, p := range w.Pubs {
			if p.Offset > ch.top {
				break // not delivered here yet: it will arrive live
			}
			if p.Offset != next {
				return nil, false, nil
			}
			pub, err := decodePublication(p.Body)
			if err != nil {
				return nil, false, err
			}
			pub.Offset = p.Offset
			if size += replySize([]*protocol.Publication{pub}); size > budget {
				return nil, false, tooLarge // decode no more than can be sent
			}
			out = append(out, pub)
			next++
		}
		if next > ch.top {
			return out, true, nil
		}
		// This node delivered more while the stream was read: take the
		// rest from the recent window, or read again.
		if rest, covered, over := ch.recent.since(next-1, ch.top, notBefore, budget-size); covered {
			if over {
				return nil, false, tooLarge
			}
			return append(out, rest...), true, nil
		}
	}
	return nil, false, nil
}

// historyCutoff is the oldest storage time history still serves (zero: no
// age limit).
func (ch *channel) historyCutoff() time.Time {
	if ch.ns.HistoryTTL <= 0 {
		return time.Time{}
	}
	return ch.hub.now().Add(-ch.ns.HistoryTTL)
}

// replySize estimates, in bytes, what publications take in a reply.
func replySize(pubs []*protocol.Publication) int {
	total := 0
	for _, p := range pubs {
		total += len(p.Data) + len(p.Info.GetConnInfo()) + 64
	}
	return total
}

// recoveryTooLargeError says that the publications a client missed would
// not fit in one reply: more than half of the connection's queue
// (client.queue_max_bytes, as counted by replySize). Sent, they would
// close the connection as a slow consumer (3008) however fast the client
// reads; the client gets recovered: false and reads them with history in
// pages instead.
type recoveryTooLargeError struct {
	count  int    // publications missed
	after  uint64 // the client's offset
	budget int    // the most one reply may carry, bytes
}

func (e *recoveryTooLargeError) Error() string {
	return fmt.Sprintf("the %d publications after offset %d take more than one reply may carry (%d bytes, half of client.queue_max_bytes); read them with history in pages (limit, since)",
		e.count, e.after, e.budget)
}
