package engine

import (
	"sync"

	"github.com/nats-io/nats.go"
)

// dispatchBuffer is how many messages may wait for one dispatch shard.
// When a shard falls this far behind, NATS drops messages for the
// subscriptions on it (a slow consumer); channel deliveries detect the gap
// by offset and read the missing ones from the stream.
const dispatchBuffer = 1 << 16

// dispatcher runs the callbacks of many core NATS subscriptions on a fixed
// set of goroutines instead of one goroutine per subscription: an idle
// channel then costs no goroutine. A subject always maps to the same shard,
// so the messages of one subscription keep their order.
//
// On a single node the dispatcher also routes (see route.go): one wildcard
// subscription per subject prefix, and each channel only an entry in a map
// of exact subjects, instead of a NATS subscription of its own.
type dispatcher struct {
	shards []chan *nats.Msg

	mu       sync.RWMutex // guards handlers, routes, prefixes; held (write) across ChanSubscribe
	handlers map[*nats.Subscription]func(*nats.Msg)
	routes   map[string][]*route // exact subject → its handlers; copy on write
	prefixes []string            // subject prefixes whose routes the wildcards serve
	routers  []*nats.Subscription

	stop chan struct{}
	wg   sync.WaitGroup
}

func newDispatcher(n int) *dispatcher {
	d := &dispatcher{
		handlers: make(map[*nats.Subscription]func(*nats.Msg)),
		routes:   make(map[string][]*route),
		stop:     make(chan struct{}),
	}
	for i := 0; i < n; i++ {
		ch := make(chan *nats.Msg, dispatchBuffer)
		d.shards = append(d.shards, ch)
		d.wg.Add(1)
		go d.run(ch)
	}
	return d
}

func (d *dispatcher) run(ch chan *nats.Msg) {
	defer d.wg.Done()
	for {
		select {
		case <-d.stop:
			return
		case m := <-ch:
			d.mu.RLock()
			fn := d.handlers[m.Sub]
			var rs []*route
			if fn == nil {
				rs = d.routes[m.Subject]
			}
			d.mu.RUnlock()
			if fn != nil {
				fn(m)
			}
			for _, r := range rs {
				r.fn(m)
			}
		}
	}
}

// shardFor picks the shard of a subject: FNV-1a (32-bit) of its bytes
// modulo the number of shards.
func (d *dispatcher) shardFor(subject string) chan *nats.Msg {
	h := uint32(2166136261)
	for i := 0; i < len(subject); i++ {
		h ^= uint32(subject[i])
		h *= 16777619
	}
	return d.shards[h%uint32(len(d.shards))]
}

// subscribe subscribes to subject and calls fn for each message, in order,
// on the subject's shard. The handler is registered under the same lock
// the shards read it with, so a message that arrives at once still finds
// it.
func (d *dispatcher) subscribe(nc *nats.Conn, subject string, fn func(*nats.Msg)) (*nats.Subscription, error) {
	shard := d.shardFor(subject)
	d.mu.Lock()
	defer d.mu.Unlock()
	sub, err := nc.ChanSubscribe(subject, shard)
	if err != nil {
		return nil, err
	}
	d.handlers[sub] = fn
	return sub, nil
}

// unsubscribe ends sub; messages of it still queued are dropped.
func (d *dispatcher) unsubscribe(sub *nats.Subscription) {
	_ = sub.Unsubscribe()
	d.mu.Lock()
	delete(d.handlers, sub)
	d.mu.Unlock()
}

// close stops the shard goroutines; messages still queued are dropped.
// The channels stay open: the NATS connection may still hold them.
func (d *dispatcher) close() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	d.wg.Wait()
}
