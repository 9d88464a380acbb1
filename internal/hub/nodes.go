package hub

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Nodes find each other through heartbeats on the control bus, every
// NodeTimeout/4. Each run of a node has its own instance id
// (Config.Instance), which also tags the presence entries and connection
// records it writes.
//
// A run is suspected when nothing was heard from it for NodeTimeout.
// Heartbeats reach only nodes with a direct route, and a route can be cut
// while both nodes still reach the others; so a suspect is gone only when
// no other node says it still hears it (an indirect probe, as in SWIM). A
// run is gone at once when the same node name shows up with a new instance
// (a restart). A node cut off from every other gets no answers, but cannot
// remove anything either: removals are writes that need the streams'
// majority.
//
// Every node that sees a run go reaps it: its presence entries are removed
// and a leave is published for each; the engine lets exactly one node
// remove each entry, so subscribers get one leave per connection. Entries
// of a run that no live node ever heard of expire with the presence TTL.

// heartbeat is what a node announces every NodeTimeout/4.
type heartbeat struct {
	Node     string `json:"node"`
	Instance string `json:"instance"`
	// Keys is what the node verifies tokens and API calls with, as
	// fingerprints; nil from a node that does not say.
	Keys *Fingerprints `json:"keys,omitempty"`
}

type nodeSeen struct {
	node string
	at   time.Time
}

// reapJob asks the reaper to remove a run.
type reapJob struct {
	inst     string
	node     string
	replaced bool // a new run of the same node exists: no need to confirm
}

// nodeTable is what this node heard from the others.
type nodeTable struct {
	mu       sync.Mutex
	seen     map[string]nodeSeen // instance → node name and last heartbeat (mu)
	suspects map[string]reapJob  // not heard for NodeTimeout, not yet removed (mu)
	queued   map[string]bool     // suspects waiting in reap (mu)
	// reap receives runs to check and remove; the reaper goroutine drains it.
	reap chan reapJob
}

func (t *nodeTable) init() {
	t.seen = make(map[string]nodeSeen)
	t.suspects = make(map[string]reapJob)
	t.queued = make(map[string]bool)
	t.reap = make(chan reapJob, 256)
}

func (h *Hub) heartbeatInterval() time.Duration { return h.cfg.NodeTimeout / 4 }

func (h *Hub) heartbeatLoop() {
	defer h.wg.Done()
	h.beat()
	t := time.NewTicker(h.heartbeatInterval())
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.beat()
			h.expireNodes()
		}
	}
}

// beat announces this node run on the control bus.
func (h *Hub) beat() {
	hb := heartbeat{Node: h.cfg.NodeID, Instance: h.cfg.Instance}
	if fp := h.cfg.Fingerprints; fp.APIKey != "" || len(fp.TokenKeys) > 0 {
		hb.Keys = &fp
	}
	data, _ := json.Marshal(hb)
	_ = h.broker.Broadcast(topicHeartbeat, data)
}

func (h *Hub) onHeartbeat(data []byte, _ string) {
	var hb heartbeat
	if json.Unmarshal(data, &hb) != nil || hb.Instance == "" {
		return
	}
	if hb.Instance == h.cfg.Instance {
		return
	}
	var replaced []reapJob
	h.nodes.mu.Lock()
	_, known := h.nodes.seen[hb.Instance]
	delete(h.nodes.suspects, hb.Instance) // heard again: not gone
	if !known {
		for inst, s := range h.nodes.seen {
			if s.node == hb.Node && inst != hb.Instance {
				replaced = append(replaced, reapJob{inst: inst, node: s.node, replaced: true})
				delete(h.nodes.seen, inst)
			}
		}
		for inst, j := range h.nodes.suspects {
			if j.node == hb.Node {
				j.replaced = true
				h.nodes.suspects[inst] = j
			}
		}
		for _, j := range replaced {
			h.nodes.suspects[j.inst] = j
		}
	}
	h.nodes.seen[hb.Instance] = nodeSeen{node: hb.Node, at: time.Now()}
	h.nodes.mu.Unlock()
	for _, j := range replaced {
		h.log.Info("node restarted: removing its previous run's presence", "node", hb.Node, "instance", j.inst)
	}
	if len(replaced) > 0 {
		h.queueSuspects()
	}
	if !known {
		h.checkKeys(hb.Node, hb.Keys)
		// Answer a newcomer at once, so it knows every node before its
		// next heartbeat (its first one may have gone out before this
		// node listened).
		h.beat()
	}
}

// expireNodes turns the runs not heard for NodeTimeout into suspects and
// queues every suspect for the reaper, which confirms and removes them.
func (h *Hub) expireNodes() {
	var silent []reapJob
	h.nodes.mu.Lock()
	for inst, s := range h.nodes.seen {
		if time.Since(s.at) >= h.cfg.NodeTimeout {
			delete(h.nodes.seen, inst)
			j := reapJob{inst: inst, node: s.node}
			h.nodes.suspects[inst] = j
			silent = append(silent, j)
		}
	}
	h.nodes.mu.Unlock()
	for _, j := range silent {
		h.log.Info("node not heard: checking whether it is gone", "node", j.node, "instance", j.inst)
	}
	h.queueSuspects()
}

// queueSuspects hands every suspect not already waiting to the reaper.
func (h *Hub) queueSuspects() {
	h.nodes.mu.Lock()
	defer h.nodes.mu.Unlock()
	for inst, j := range h.nodes.suspects {
		if h.nodes.queued[inst] {
			continue
		}
		select {
		case h.nodes.reap <- j:
			h.nodes.queued[inst] = true
		default:
			return // full: the next tick tries again
		}
	}
}

// liveNodes counts nodes heard from recently, this one included.
func (h *Hub) liveNodes() int {
	h.nodes.mu.Lock()
	defer h.nodes.mu.Unlock()
	n := 1
	for _, s := range h.nodes.seen {
		if time.Since(s.at) < h.cfg.NodeTimeout {
			n++
		}
	}
	return n
}

func (h *Hub) reapLoop() {
	defer h.wg.Done()
	for {
		select {
		case <-h.ctx.Done():
			return
		case j := <-h.nodes.reap:
			h.nodes.mu.Lock()
			delete(h.nodes.queued, j.inst)
			cur, still := h.nodes.suspects[j.inst]
			h.nodes.mu.Unlock()
			if still && h.reapInstance(cur) {
				h.nodes.mu.Lock()
				delete(h.nodes.suspects, j.inst)
				h.nodes.mu.Unlock()
			}
		}
	}
}

// hears reports whether this node heard inst recently (or is inst).
func (h *Hub) hears(inst string) bool {
	if inst == h.cfg.Instance {
		return true
	}
	h.nodes.mu.Lock()
	defer h.nodes.mu.Unlock()
	s, ok := h.nodes.seen[inst]
	return ok && time.Since(s.at) < h.cfg.NodeTimeout
}

// heardElsewhere asks every node whether it still hears inst.
func (h *Hub) heardElsewhere(ctx context.Context, inst string) bool {
	h.nodes.mu.Lock()
	suspects := len(h.nodes.suspects)
	h.nodes.mu.Unlock()
	// Every node this one knows of may answer, suspects included: they
	// may be reachable again.
	answers, err := h.broker.Gather(ctx, topicHeard, []byte(inst), h.liveNodes()+suspects, gatherWait)
	if err != nil {
		return true // cannot tell: keep it for now
	}
	for _, a := range answers {
		var heard bool
		if json.Unmarshal(a, &heard) == nil && heard {
			return true
		}
	}
	return false
}

// reapInstance removes a gone run's presence entries and publishes a leave
// for each one this node removed. It reports false when the run must stay
// a suspect: another node still hears it (it is only unreachable from
// here), or the engine did not answer; the next heartbeat tick tries again.
func (h *Hub) reapInstance(j reapJob) bool {
	ctx, cancel := context.WithTimeout(h.ctx, commandTimeout)
	defer cancel()
	if !j.replaced && h.judgingPaused() {
		return false
	}
	if !j.replaced && h.heardElsewhere(ctx, j.inst) {
		h.log.Debug("node not heard here but by another node; keeping its presence", "node", j.node, "instance", j.inst)
		return false
	}
	n, err := h.broker.ReapInstance(ctx, j.inst, func(g GoneEntry) {
		if ns := h.namespace(g.Channel.Namespace); ns != nil && ns.JoinLeave {
			h.publishPresenceEvent(g.Channel, false, g.Info)
		}
	})
	if err != nil {
		if h.ctx.Err() == nil {
			h.log.Warn("removing a gone node's presence failed; trying again", "instance", j.inst, "removed", n, "err", err)
		}
		return false
	}
	h.log.Info("node gone: removed its presence", "node", j.node, "instance", j.inst, "entries", n)
	return true
}
