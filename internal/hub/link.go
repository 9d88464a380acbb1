package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/centrifugal/protocol"
)

// LinkStatusType is the "type" of the status object pushed to every client
// of a node when its link to the rest of the system goes down or comes
// back (docs/protocol.md, "Link status").
const LinkStatusType = "liveroom.link"

// LinkStatus is the status object, sent as the data of an async message
// push (a Push with only Message set, no channel).
type LinkStatus struct {
	Type  string `json:"type"`  // always LinkStatusType
	State string `json:"state"` // "down" or "up"
	Node  string `json:"node"`  // the node the client is connected to
	Since int64  `json:"since"` // when the state began, Unix ms
	// Reason says what is down, for people ("leaf link to the core ... is
	// down"); only with state "down".
	Reason string `json:"reason,omitempty"`
	// DownMs is how long the link was down; only with state "up".
	DownMs int64 `json:"down_ms,omitempty"`
}

// linkTable is the node's link state as told by LinkChanged.
type linkTable struct {
	mu         sync.Mutex // guards everything below
	down       bool       // the link is down
	catchingUp bool       // up again, channels still reading what they missed
	gen        uint64     // bumped on every change; a stale catch-up does not announce "up"
	upAt       time.Time  // when the link last came back (zero: never down)
	status     LinkStatus // the last status announced
}

// LinkChanged tells the hub that this node's link to the rest of the
// system (the core, the other nodes, or the NATS servers) went down or
// came back. Down: every client gets a status push with state "down" (so
// does every client that connects meanwhile), and Ready fails. Up: once
// the engine passes its probe again (the stream leaders are reachable),
// every channel with history reads what it missed from the stream's
// leader and delivers it in order, then every client gets state "up", and
// presence entries are re-put. Calls must come from one goroutine, in
// order.
func (h *Hub) LinkChanged(up bool, reason string, since time.Time) {
	h.link.mu.Lock()
	wasDown := h.link.down
	if up && !wasDown {
		h.link.mu.Unlock()
		return
	}
	h.link.gen++
	gen := h.link.gen
	if !up {
		h.link.down = true
		h.link.catchingUp = false
		h.link.status = LinkStatus{Type: LinkStatusType, State: "down", Node: h.cfg.NodeID, Since: since.UnixMilli(), Reason: reason}
		st := h.link.status
		h.link.mu.Unlock()
		h.log.Warn("link down: telling clients", "reason", reason)
		h.pushStatus(st)
		return
	}
	h.link.down = false
	h.link.upAt = time.Now()
	h.MayHaveBeenReaped()
	h.link.catchingUp = true
	downSince := h.link.status.Since
	h.link.mu.Unlock()
	current := func() bool {
		h.link.mu.Lock()
		defer h.link.mu.Unlock()
		return h.link.gen == gen && h.ctx.Err() == nil
	}
	h.goBackground(func() {
		start := time.Now()
		h.waitEngine(current)
		h.catchUpChannels()
		h.link.mu.Lock()
		if h.link.gen != gen || h.ctx.Err() != nil {
			h.link.mu.Unlock()
			return
		}
		h.link.catchingUp = false
		h.link.status = LinkStatus{Type: LinkStatusType, State: "up", Node: h.cfg.NodeID, Since: since.UnixMilli(),
			DownMs: since.UnixMilli() - downSince}
		st := h.link.status
		h.link.mu.Unlock()
		h.log.Info("link up: channels caught up, telling clients", "catch_up", time.Since(start).Round(time.Millisecond))
		h.pushStatus(st)
		h.refreshPresence()
		h.readmitAll(current)
		h.catchUpLater(current)
	})
}

// Resync makes every channel with history on this node deliver what it
// may have missed (deliveries are at most once), in the background: for
// when another node came back after its route to this one was cut, and
// deliveries that crossed that route may be lost. No status is pushed.
func (h *Hub) Resync() {
	h.MayHaveBeenReaped()
	always := func() bool { return h.ctx.Err() == nil }
	h.goBackground(func() {
		h.waitEngine(always)
		h.catchUpChannels()
		h.refreshPresence()
		h.readmitAll(always)
		h.catchUpLater(always)
	})
}

// engineWaitMax bounds how long a catch-up waits for the engine to pass
// its probe after the link came back.
const engineWaitMax = 15 * time.Second

// waitEngine waits until the engine passes its probe (a publication
// stored and delivered back), so the reads that follow reach a stream
// leader that has everything, not a replica that was cut off with this
// node and still believes it leads.
func (h *Hub) waitEngine(current func() bool) {
	deadline := time.Now().Add(engineWaitMax)
	for current() && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(h.ctx, time.Second)
		err := h.broker.Healthy(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// catchUpLater repeats the catch-up twice more, a few seconds apart: a
// read made just after a partition healed may still have been answered by
// a replica that had not caught up. Each pass costs one read per channel.
func (h *Hub) catchUpLater(current func() bool) {
	for _, d := range []time.Duration{2 * time.Second, 5 * time.Second} {
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(d):
		}
		if !current() {
			return
		}
		h.catchUpChannels()
	}
}

// judgingPaused reports whether this node should not count other nodes as
// gone now: its own link is down, or came back less than NodeTimeout ago
// (the others' heartbeats have not reached it again yet). A node cut off
// from the rest would otherwise take everyone else for dead.
func (h *Hub) judgingPaused() bool {
	h.link.mu.Lock()
	defer h.link.mu.Unlock()
	return h.link.down || (!h.link.upAt.IsZero() && time.Since(h.link.upAt) < h.cfg.NodeTimeout)
}

// linkNotReady says why the link keeps this node from being ready, or "".
func (h *Hub) linkNotReady() string {
	h.link.mu.Lock()
	defer h.link.mu.Unlock()
	switch {
	case h.link.down:
		since := time.UnixMilli(h.link.status.Since)
		return fmt.Sprintf("NATS link down for %s: %s", time.Since(since).Round(100*time.Millisecond), h.link.status.Reason)
	case h.link.catchingUp:
		return "NATS link back; channels still catching up"
	}
	return ""
}

// downStatus returns the status to give a client that connects while the
// link is down.
func (h *Hub) downStatus() (LinkStatus, bool) {
	h.link.mu.Lock()
	defer h.link.mu.Unlock()
	return h.link.status, h.link.down
}

// pushStatus sends st to every connected client, encoded once per
// protocol.
func (h *Hub) pushStatus(st LinkStatus) {
	var enc [2][]byte
	h.clients.each(func(c *Client) {
		c.mu.Lock()
		connected := c.state == stateConnected
		c.mu.Unlock()
		if connected {
			c.enqueue(statusFrame(&enc, c.proto, st))
		}
	})
}

// statusFrame encodes st as a message push for proto, caching it in enc.
func statusFrame(enc *[2][]byte, proto protocol.Type, st LinkStatus) []byte {
	i := 0
	if proto != protocol.TypeJSON {
		i = 1
	}
	if enc[i] == nil {
		data, _ := json.Marshal(st)
		enc[i], _ = protocol.GetReplyEncoder(proto).Encode(&protocol.Reply{Push: &protocol.Push{Message: &protocol.Message{Data: data}}})
	}
	return enc[i]
}

// catchUpChannels makes every channel with history on this node deliver
// what it missed while the link was down. Channels whose read fails (the
// engine still electing a leader) are tried again a few times; a channel
// that still fails fills the gap with its next publication.
func (h *Hub) catchUpChannels() {
	chans := h.channels.snapshot()
	for round := 0; len(chans) > 0 && round < catchUpRounds; round++ {
		if round > 0 {
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(catchUpRetryWait):
			}
		}
		var failed []*channel
		for _, ch := range chans {
			if h.ctx.Err() != nil {
				return
			}
			ctx, cancel := context.WithTimeout(h.ctx, catchUpReadTimeout)
			err := ch.catchUp(ctx)
			cancel()
			if err != nil {
				h.log.Warn("catch-up of a channel failed", "channel", ch.id.Name, "round", round+1, "err", err)
				failed = append(failed, ch)
			}
		}
		chans = failed
	}
}

const (
	catchUpRounds      = 4
	catchUpRetryWait   = 500 * time.Millisecond
	catchUpReadTimeout = 3 * time.Second // a leader being elected does not answer
)
