package hub

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Nodes find each other through heartbeats on the control bus. Each run of
// a node has its own instance id (Config.Instance), which also tags the
// presence entries and connection records it writes. A run is gone when
// nothing was heard from it for Config.NodeTimeout, or at once when the
// same node name shows up with a new instance (a restart). Every node that
// sees a run go reaps it: its presence entries are removed and a leave is
// published for each; the engine lets exactly one node remove each entry,
// so subscribers get one leave per connection. Entries of a run that no
// live node ever heard of expire with the presence TTL.

// heartbeat is what a node announces every NodeTimeout/4.
type heartbeat struct {
	Node     string `json:"node"`
	Instance string `json:"instance"`
}

type nodeSeen struct {
	node string
	at   time.Time
}

// nodeTable is what this node heard from the others.
type nodeTable struct {
	mu   sync.Mutex
	seen map[string]nodeSeen // instance → node name and last heartbeat (mu)
	// reap receives instances that are gone; the reaper goroutine drains it.
	reap chan string
}

func (t *nodeTable) init() {
	t.seen = make(map[string]nodeSeen)
	t.reap = make(chan string, 256)
}

func (h *Hub) heartbeatInterval() time.Duration { return h.cfg.NodeTimeout / 4 }

func (h *Hub) heartbeatLoop() {
	defer h.wg.Done()
	beat := h.beat
	beat()
	t := time.NewTicker(h.heartbeatInterval())
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			beat()
			h.expireNodes()
		}
	}
}

// beat announces this node run on the control bus.
func (h *Hub) beat() {
	data, _ := json.Marshal(heartbeat{Node: h.cfg.NodeID, Instance: h.cfg.Instance})
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
	var gone []string
	h.nodes.mu.Lock()
	_, known := h.nodes.seen[hb.Instance]
	if !known {
		for inst, s := range h.nodes.seen {
			if s.node == hb.Node {
				gone = append(gone, inst) // an earlier run of a restarted node
				delete(h.nodes.seen, inst)
			}
		}
	}
	h.nodes.seen[hb.Instance] = nodeSeen{node: hb.Node, at: time.Now()}
	h.nodes.mu.Unlock()
	if !known {
		// Answer a newcomer at once, so it knows every node before its
		// next heartbeat (its first one may have gone out before this
		// node listened).
		h.beat()
	}
	for _, inst := range gone {
		h.log.Info("node restarted: removing its previous run's presence", "node", hb.Node, "instance", inst)
		h.queueReap(inst)
	}
}

// expireNodes forgets the runs not heard from for NodeTimeout and queues
// them for reaping.
func (h *Hub) expireNodes() {
	var gone []nodeSeen
	var insts []string
	h.nodes.mu.Lock()
	for inst, s := range h.nodes.seen {
		if time.Since(s.at) >= h.cfg.NodeTimeout {
			delete(h.nodes.seen, inst)
			gone = append(gone, s)
			insts = append(insts, inst)
		}
	}
	h.nodes.mu.Unlock()
	for i, inst := range insts {
		h.log.Warn("node gone: no heartbeat", "node", gone[i].node, "instance", inst,
			"silent_for", time.Since(gone[i].at).Round(time.Millisecond))
		h.queueReap(inst)
	}
}

func (h *Hub) queueReap(inst string) {
	select {
	case h.nodes.reap <- inst:
	default:
		h.log.Warn("too many nodes to reap at once; their presence expires with the TTL", "instance", inst)
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

// reapAttempts bounds retries of a reap that failed (the engine busy
// electing a leader); the presence TTL is the backstop.
const reapAttempts = 5

func (h *Hub) reapLoop() {
	defer h.wg.Done()
	for {
		select {
		case <-h.ctx.Done():
			return
		case inst := <-h.nodes.reap:
			h.reapInstance(inst)
		}
	}
}

// reapInstance removes a gone run's presence entries and publishes a leave
// for each one this node removed.
func (h *Hub) reapInstance(inst string) {
	total := 0
	for attempt := 0; attempt < reapAttempts; attempt++ {
		ctx, cancel := context.WithTimeout(h.ctx, commandTimeout)
		n, err := h.broker.ReapInstance(ctx, inst, func(g GoneEntry) {
			if ns := h.namespace(g.Channel.Namespace); ns != nil && ns.JoinLeave {
				h.publishPresenceEvent(g.Channel, false, g.Info)
			}
		})
		cancel()
		total += n
		if err == nil {
			if total > 0 {
				h.log.Info("removed a gone node's presence", "instance", inst, "entries", total)
			}
			return
		}
		if h.ctx.Err() != nil {
			return
		}
		h.log.Warn("removing a gone node's presence failed; retrying", "instance", inst, "err", err)
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(time.Second << attempt):
		}
	}
}
