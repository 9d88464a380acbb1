package hub

import (
	"context"
	"time"
)

// Presence entries and per-user connection records live in streams whose
// max age is PresenceTTL; each node re-puts its own every PresenceTTL/3 so
// that only the entries of a vanished node expire (decision 0008).
//
// One round re-puts every entry once, spread evenly over refreshSpread of
// the interval rather than sent in one burst: a round is one stored
// message per subscriber of a presence channel, and 18,000 of them sent
// back to back kept the engine busy for about 1.5 s every 20 s, during
// which every publication waited behind them (the rooms benchmark's p99
// rose from a few milliseconds to 20–60 ms for that second and a half;
// docs/benchmarks.md). Paced, the same work is a steady few percent of a
// CPU.

// refreshSpread is the share of the refresh interval a round is spread
// over; the rest is slack for a slow engine, so that a round still ends
// well before an entry's age reaches PresenceTTL.
const refreshSpread = 0.6

// refreshPaceStep is the smallest wait between two groups of re-puts: a
// round waits only when it is this far ahead of its schedule, so the puts
// go in small groups instead of one timer per put.
const refreshPaceStep = 5 * time.Millisecond

// presenceRefreshLoop runs a paced refresh round every PresenceTTL/3.
func (h *Hub) presenceRefreshLoop() {
	defer h.wg.Done()
	interval := h.cfg.PresenceTTL / 3
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.refreshRound(time.Duration(float64(interval)*refreshSpread), false)
		}
	}
}

// refreshPresence re-puts every entry of this node at once: for when the
// link to the engine comes back and entries may have expired meanwhile,
// or been reaped by nodes that took this one for dead. Those nodes told
// their subscribers the connections left, so an entry that was gone is
// announced again with a join (join/leave namespaces).
func (h *Hub) refreshPresence() { h.refreshRound(0, true) }

// refreshItem is one record to re-put: a presence entry (ch and s set) or a
// connection record for the per-user limit (ch nil).
type refreshItem struct {
	c  *Client
	ch *channel
	s  *subscription
}

// refreshRound re-puts this node's connection records and presence
// entries, the i-th of n no earlier than start + spread·i/n. A spread of 0
// sends them back to back. With announce, an entry that was not in the
// store before its re-put gets a join.
func (h *Hub) refreshRound(spread time.Duration, announce bool) {
	items := h.refreshItems()
	pace := pacer{start: time.Now(), spread: spread, n: len(items)}
	failed := map[*channel]bool{} // one warning per channel and round
	for i, it := range items {
		if !pace.wait(h.ctx, i) {
			return
		}
		if it.ch == nil {
			h.refreshConnection(it.c)
			continue
		}
		if failed[it.ch] {
			continue
		}
		if err := h.refreshEntry(it, announce); err != nil {
			if h.ctx.Err() != nil {
				return
			}
			failed[it.ch] = true
			h.log.Warn("presence refresh failed", "channel", it.ch.id.Name, "err", err)
		}
	}
}

// refreshItems lists what this node must keep alive: its bound
// connections' records (when the per-user limit is on) and the entries of
// its subscribers to channels with presence.
func (h *Hub) refreshItems() []refreshItem {
	var items []refreshItem
	if h.cfg.MaxConnectionsPerUser > 0 {
		h.clients.each(func(c *Client) { items = append(items, refreshItem{c: c}) })
	}
	for _, ch := range h.channels.snapshot() {
		if !ch.ns.Presence {
			continue
		}
		ch.mu.Lock()
		for c, s := range ch.subs.all() {
			items = append(items, refreshItem{c: c, ch: ch, s: s})
		}
		ch.mu.Unlock()
	}
	return items
}

// refreshEntry re-puts one presence entry, unless its subscription has
// ended or been replaced since the round listed it: then its leave, or the
// newer subscribe, has written the entry (see putPresence).
func (h *Hub) refreshEntry(it refreshItem, announce bool) error {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	announce = announce && it.ch.ns.JoinLeave
	live := true
	if announce {
		var err error
		if live, err = h.broker.PresenceLive(ctx, it.ch.id, it.c.id, it.c.User()); err != nil {
			live = true // unknown: no join rather than a second one
		}
	}
	info := it.c.clientInfo(it.s)
	wrote, err := it.c.putPresence(ctx, it.s, it.ch.id, info, false)
	if err == nil && wrote && !live {
		h.publishPresenceEvent(it.ch.id, true, info)
	}
	return err
}

// refreshConnection re-puts the connection record of c for the per-user
// limit, if c is bound and counts toward it.
func (h *Hub) refreshConnection(c *Client) {
	c.mu.Lock()
	user, bound, gone := c.user, c.bound, c.cleaned
	c.mu.Unlock()
	if !bound || gone || !h.countsTowardLimit(user) {
		return // closed since the round listed it: its record is already out
	}
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	_ = h.broker.ConnectionPut(ctx, user, c.id)
	cancel()
	c.mu.Lock()
	gone = c.cleaned
	c.mu.Unlock()
	if gone { // closed while re-put: take the record out again
		h.releaseUser(c, user)
	}
}

// pacer spreads n steps evenly over spread from start.
type pacer struct {
	start  time.Time
	spread time.Duration
	n      int
	timer  *time.Timer
}

// wait blocks until step i is due (start + spread·i/n), waiting only when
// at least refreshPaceStep ahead; it reports false if ctx ended first.
func (p *pacer) wait(ctx context.Context, i int) bool {
	if ctx.Err() != nil {
		return false
	}
	if p.spread <= 0 || p.n == 0 {
		return true
	}
	due := p.start.Add(time.Duration(float64(p.spread) * float64(i) / float64(p.n)))
	ahead := time.Until(due)
	if ahead < refreshPaceStep {
		return true
	}
	if p.timer == nil {
		p.timer = time.NewTimer(ahead)
	} else {
		p.timer.Reset(ahead)
	}
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return false
	case <-p.timer.C:
		return true
	}
}
