package hub

import (
	"context"
	"errors"
	"math"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// history reads a channel's history the way the protocol's history command
// defines it: limit 0 returns only the current position, a negative limit
// everything kept; since (with a matching epoch, else 112) starts after
// that offset, or before it when reverse; reverse returns newest first.
//
// A page with since, and a reverse page, come from the channel's recent
// ring when this node holds the channel at the engine's top and the ring
// holds the whole page (a chat loading its newest messages as viewers
// join); otherwise from the stream.
func (h *Hub) history(ctx context.Context, id ChannelID, ns *Namespace, limit int, since *StreamPosition, reverse bool) (*protocol.HistoryResult, *wire.Error) {
	if !ns.HasHistory() {
		return nil, wire.Errorf(wire.CodeNotAvailable, false, "channels of namespace %q keep no history", ns.Name)
	}
	if limit < 0 || limit > ns.HistorySize {
		limit = ns.HistorySize
	}
	top, err := h.broker.Top(ctx, id)
	if err != nil {
		return nil, h.readError(id.Name, err)
	}
	res := &protocol.HistoryResult{Epoch: top.Epoch, Offset: top.Offset}
	if since != nil && since.Epoch == "" {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "since needs the epoch of a previous reply together with its offset")
	}
	if since != nil && since.Epoch != top.Epoch {
		return nil, wire.Errorf(wire.CodeUnrecoverable, false, "epoch %q is not the channel's current epoch %q: history was reset; load it without since", since.Epoch, top.Epoch)
	}
	if since != nil && since.Offset > top.Offset {
		return nil, wire.Errorf(wire.CodeUnrecoverable, false, "offset %d is ahead of the channel's newest, %d: it is not a position this channel gave; load history without since", since.Offset, top.Offset)
	}
	if limit == 0 { // only the position: an empty list, as any empty page
		res.Publications = []*protocol.Publication{}
		return res, nil
	}
	var pubs []*protocol.Publication // oldest first
	switch {
	case reverse:
		pubs, err = h.newestPage(ctx, id, top, limit, since)
	case since != nil:
		pubs, err = h.pageAfter(ctx, id, top, since.Offset, limit)
		if errors.Is(err, ErrUnrecoverable) {
			return nil, wire.Errorf(wire.CodeUnrecoverable, false, "publications after offset %d are no longer kept; load history without since", since.Offset)
		}
	default:
		var w HistoryWindow
		w, err = h.broker.ReadOldest(ctx, id, limit, h.now())
		pubs = h.decodeStored(id, w.Pubs)
	}
	if err != nil {
		return nil, h.readError(id.Name, err)
	}
	// The page ends at the top the reply names: what was stored since that
	// read is left for the next page (a client pages on from offset, and
	// would otherwise get it twice).
	for len(pubs) > 0 && pubs[len(pubs)-1].Offset > top.Offset {
		pubs = pubs[:len(pubs)-1]
	}
	if pubs, err = h.redact(ctx, id, top, pubs); err != nil {
		h.log.Warn("history not served: redaction failed", "channel", id.Name, "err", err)
		return nil, wire.Errorf(wire.CodeInternal, true, "history of %q is not available right now; retry", id.Name)
	}
	if !reverse {
		res.Publications = pubs
		if pubs == nil {
			res.Publications = []*protocol.Publication{}
		}
		return res, nil
	}
	if since != nil {
		cut := len(pubs)
		for cut > 0 && pubs[cut-1].Offset >= since.Offset {
			cut--
		}
		pubs = pubs[:cut]
	}
	if len(pubs) > limit {
		pubs = pubs[len(pubs)-limit:]
	}
	res.Publications = make([]*protocol.Publication, len(pubs))
	for i, p := range pubs {
		res.Publications[len(pubs)-1-i] = p
	}
	return res, nil
}

// pageAfter reads up to limit publications after offset after, oldest
// first.
func (h *Hub) pageAfter(ctx context.Context, id ChannelID, top StreamPosition, after uint64, limit int) ([]*protocol.Publication, error) {
	if pubs, ok := h.fromRing(id, top, after); ok {
		return pubs[:min(len(pubs), limit)], nil
	}
	w, err := h.broker.ReadAfter(ctx, id, after, limit, h.now())
	if err != nil {
		return nil, err
	}
	return h.decodeStored(id, w.Pubs), nil
}

// newestPage reads, oldest first, the newest limit publications of a
// channel at top, before since when given (the caller cuts at since and at
// limit): the page a reverse history returns, read from where it starts
// rather than from the channel's oldest publication. When history no
// longer keeps the page's start, it reads from the oldest kept.
func (h *Hub) newestPage(ctx context.Context, id ChannelID, top StreamPosition, limit int, since *StreamPosition) ([]*protocol.Publication, error) {
	upper := top.Offset // the newest offset the page may hold
	if since != nil {
		if since.Offset == 0 {
			return nil, nil
		}
		upper = min(upper, since.Offset-1)
	}
	lower := upper - min(upper, uint64(limit)) // the page is lower+1 … upper
	if pubs, ok := h.fromRing(id, top, lower); ok {
		return pubs, nil
	}
	w, err := h.broker.ReadAfter(ctx, id, lower, int(upper-lower), h.now())
	if errors.Is(err, ErrUnrecoverable) {
		if w.First == 0 || w.First > upper { // nothing kept below since
			return nil, nil
		}
		w, err = h.broker.ReadOldest(ctx, id, int(upper-w.First+1), h.now())
	}
	if err != nil {
		return nil, err
	}
	return h.decodeStored(id, w.Pubs), nil
}

// fromRing returns the publications after offset after up to top, oldest
// first, from the channel's recent ring (decoded once and shared: not to
// be modified), when this node holds the channel at the engine's top and
// the ring holds all of them, none older than history_ttl; ok is false
// otherwise.
func (h *Hub) fromRing(id ChannelID, top StreamPosition, after uint64) (pubs []*protocol.Publication, ok bool) {
	ch := h.channels.get(id.Name)
	if ch == nil {
		return nil, false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.synced || ch.epoch != top.Epoch || ch.top != top.Offset {
		return nil, false // not held at the top the reply names
	}
	pubs, covered, _ := ch.recent.since(after, ch.top, ch.historyCutoff(), math.MaxInt)
	if covered {
		h.metrics.historyFromRing.Add(1)
	}
	return pubs, covered
}

// decodeStored decodes stored publications, leaving out (and logging) any
// that no longer decode.
func (h *Hub) decodeStored(id ChannelID, stored []StoredPublication) []*protocol.Publication {
	out := make([]*protocol.Publication, 0, len(stored))
	for _, p := range stored {
		pub, err := decodePublication(p.Body)
		if err != nil {
			h.log.Error("undecodable stored publication", "channel", id.Name, "offset", p.Offset, "err", err)
			continue
		}
		pub.Offset = p.Offset
		out = append(out, pub)
	}
	return out
}
