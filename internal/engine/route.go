package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// Subject routing on a single node.
//
// A core NATS subscription costs about 1.2 KB of heap (the client's
// Subscription, the server's subscription and its sublist entry; measured
// with 15,000 channels), and subscribing waits for a round trip to the
// server. On a node that is the whole deployment (embedded server, no
// routes, no leaf links) every publication reaches this node anyway, so
// nothing is gained by telling the server which channels have
// subscribers: the dispatcher subscribes once to each channel subject
// prefix with a wildcard, and a channel becomes an entry in a map of exact
// subjects. In a cluster or on an edge the per-channel subscriptions stay:
// there they are what keeps a node from receiving every channel's traffic
// (decision 0021).

// route is one registration of a handler for an exact subject. Two
// registrations of one subject (a channel starting again while its old
// instance stops) are told apart by identity.
type route struct{ fn func(*nats.Msg) }

// routedSub is a Subscription served by a wildcard router.
type routedSub struct {
	d       *dispatcher
	subject string
	r       *route
}

func (s routedSub) Stop() { s.d.removeRoute(s.subject, s.r) }

// routePrefixes makes this dispatcher serve every subject under the given
// prefixes (each ending in ".") through one wildcard subscription per
// prefix. Call it before any subscription under them is made. Each
// router hands a message to its subject's shard, so order per subject
// holds; a full shard holds the router back, and NATS then drops for the
// wildcard as it would for a channel's own subscription (a slow consumer,
// detected by offsets).
func (d *dispatcher) routePrefixes(nc *nats.Conn, prefixes ...string) error {
	for _, p := range prefixes {
		sub, err := nc.Subscribe(p+">", d.forward)
		if err != nil {
			return fmt.Errorf("engine: subscribe to %s>: %w", p, err)
		}
		// The router only hands messages on; let its backlog grow as far
		// as the shards' together before NATS calls it slow.
		if err := sub.SetPendingLimits(dispatchBuffer*len(d.shards), -1); err != nil {
			return fmt.Errorf("engine: limits of %s>: %w", p, err)
		}
		d.mu.Lock()
		d.routers = append(d.routers, sub)
		d.prefixes = append(d.prefixes, p)
		d.mu.Unlock()
	}
	return nil
}

// forward runs on a router's goroutine: it queues m on its subject's shard.
func (d *dispatcher) forward(m *nats.Msg) {
	select {
	case d.shardFor(m.Subject) <- m:
	case <-d.stop:
	}
}

// routed reports whether subject is served by a router.
func (d *dispatcher) routed(subject string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, p := range d.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// addRoute registers fn for messages on subject, which a router serves.
// It needs no round trip: the router's interest is already registered
// with the server, so any message stored after addRoute returns reaches
// fn.
func (d *dispatcher) addRoute(subject string, fn func(*nats.Msg)) routedSub {
	r := &route{fn: fn}
	d.mu.Lock()
	old := d.routes[subject]
	rs := make([]*route, len(old), len(old)+1)
	copy(rs, old)
	d.routes[subject] = append(rs, r)
	d.mu.Unlock()
	return routedSub{d: d, subject: subject, r: r}
}

// removeRoute removes one registration; messages for it still queued on
// the shard are dropped.
func (d *dispatcher) removeRoute(subject string, r *route) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.routes[subject]
	rs := make([]*route, 0, len(old))
	for _, x := range old {
		if x != r {
			rs = append(rs, x)
		}
	}
	if len(rs) == 0 {
		delete(d.routes, subject)
		return
	}
	d.routes[subject] = rs
}

// subscribeChannel subscribes to one channel subject: a route when a
// router serves it, else a NATS subscription of its own (registered with
// the server before it returns).
func (e *Engine) subscribeChannel(ctx context.Context, subject string, fn func(*nats.Msg)) (Subscription, error) {
	if err := checkSubject("subscribe", subject); err != nil {
		return nil, err
	}
	if e.dispatch.routed(subject) {
		return e.dispatch.addRoute(subject, fn), nil
	}
	sub, err := e.dispatch.subscribe(e.nc, subject, fn)
	if err != nil {
		return nil, err
	}
	if err := e.flush(ctx); err != nil {
		e.dispatch.unsubscribe(sub)
		return nil, err
	}
	return dispatchedSub{e.dispatch, sub}, nil
}

// singleNode reports whether this engine's embedded server is the whole
// deployment: no external NATS, no routes, no leaf links either way.
func (e *Engine) singleNode() bool {
	c := e.cfg
	return c.NATSURL == "" && c.ClusterListen == "" && len(c.Routes) == 0 && c.LeafListen == "" && c.Edge == ""
}
