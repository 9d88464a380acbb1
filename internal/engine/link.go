package engine

import (
	"fmt"
	"sync"
	"time"
)

// LinkState says whether this node can reach the rest of the system: the
// core (for an edge), another node (for a cluster member), or the NATS
// servers (for a node using an external NATS). A single embedded node is
// always up. While the link is down, publications of other nodes do not
// reach this node and its own publishes cannot be stored.
type LinkState struct {
	Up bool
	// Detail says which link, and why it is down, in words for operators
	// ("leaf link to the core nats-leaf://10.0.0.1:7422 is down").
	Detail string
	// Since is when the link entered this state.
	Since time.Time
	// Rejoined is set on a report made while the link stayed up because
	// another node of the cluster came back (a route reconnected): this
	// node may have missed deliveries that passed over that route.
	Rejoined bool
}

// linkPollInterval is how often the link watcher looks at the connection
// state of the embedded server or of the client connection.
const linkPollInterval = 200 * time.Millisecond

// linkWatch owns the current link state and the callback told of changes.
type linkWatch struct {
	mu    sync.Mutex // guards state and fn
	state LinkState
	fn    func(LinkState) // called on the watcher goroutine (mu not held)
}

// Link returns the current link state.
func (e *Engine) Link() LinkState {
	e.link.mu.Lock()
	defer e.link.mu.Unlock()
	return e.link.state
}

// WatchLink sets fn to be called, on the engine's watcher goroutine, each
// time the link goes down or comes back. fn must not block for long.
func (e *Engine) WatchLink(fn func(LinkState)) {
	e.link.mu.Lock()
	e.link.fn = fn
	e.link.mu.Unlock()
}

// Peers counts the other cluster nodes this node has a route to (0 when
// not clustered).
func (e *Engine) Peers() int { return e.peers() }

func (e *Engine) peers() int {
	if e.srv == nil || e.cfg.ClusterListen == "" {
		return 0
	}
	return e.srv.NumRemotes()
}

// probeLink computes the link state from the embedded server or the
// connection.
func (e *Engine) probeLink() (up bool, detail string) {
	switch {
	case e.srv == nil:
		if e.nc.IsConnected() {
			return true, "connected to NATS at " + e.nc.ConnectedUrlRedacted()
		}
		return false, fmt.Sprintf("connection to NATS is %s", e.nc.Status())
	case e.cfg.Edge != "":
		if e.srv.NumLeafNodes() > 0 {
			return true, "leaf link to the core " + e.cfg.Edge + " is up"
		}
		return false, "leaf link to the core " + e.cfg.Edge + " is down"
	case e.cfg.ClusterListen != "" && len(e.cfg.Routes) > 0:
		if e.srv.NumRemotes() > 0 {
			return true, "routes to the other cluster nodes are up"
		}
		return false, "no route to any other node of the cluster"
	}
	return true, "embedded NATS server in this process"
}

// watchLink polls the link state and reports changes until Close. The
// callback is told every state that differs from the last one it was told
// (it starts out assuming up), so a change that happened before WatchLink
// is not lost; and, while up, every time a route to another node comes
// back (Rejoined).
func (e *Engine) watchLink() {
	defer e.wg.Done()
	t := time.NewTicker(linkPollInterval)
	defer t.Stop()
	toldUp := true
	peers := e.peers()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		up, detail := e.probeLink()
		now := e.peers()
		rejoined := now > peers
		peers = now
		e.link.mu.Lock()
		if up != e.link.state.Up {
			e.link.state = LinkState{Up: up, Detail: detail, Since: time.Now()}
			if up {
				e.log.Info("NATS link up", "detail", detail)
			} else {
				e.log.Warn("NATS link down", "detail", detail)
			}
		}
		st, fn := e.link.state, e.link.fn
		e.link.mu.Unlock()
		if fn == nil {
			continue
		}
		switch {
		case st.Up != toldUp:
			toldUp = st.Up
			fn(st)
		case st.Up && rejoined:
			e.log.Info("a route to another node came back", "routes", now)
			st.Rejoined = true
			fn(st)
		}
	}
}
