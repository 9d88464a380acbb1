package hub

import (
	"sync"

	"github.com/liveroom-dev/liveroom/internal/deflate"
	"github.com/liveroom-dev/liveroom/wire"
)

// outMsg is one encoded reply or push waiting for a connection. z, when
// set, is the same message compressed once for every connection that takes
// it (a deflate piece); data is always set.
type outMsg struct {
	data []byte
	z    []byte
}

// outbound is one connection's bounded queue of encoded replies (design
// D5). Publishers append shared, immutable encodings and return at once;
// the connection's writer shard drains the queue into as few transport
// messages as possible. Nothing here blocks on the peer.
type outbound struct {
	mu        sync.Mutex
	msgs      []outMsg // waiting, oldest first (mu)
	spare     []outMsg // the other half of the double buffer (mu)
	bytes     int      // total length of msgs (mu)
	scheduled bool     // sitting in a writer shard's ready list (mu)
	closed    bool     // accepts nothing more (mu)
	// closeWith, when set, is written after what is queued: the writer
	// then closes the transport with it (mu).
	closeWith *wire.Disconnect
	// corked holds everything back (no scheduling) until uncork puts the
	// reply that must go first at the head (mu).
	corked bool
}

// enqueueResult says what happened to an enqueued message.
type enqueueResult uint8

const (
	enqueued enqueueResult = iota
	enqueueClosed
	enqueueOverflow
)

// push appends msg. It returns enqueueOverflow (and closes the queue) when
// the bytes waiting for the connection, counting what its transport still
// buffers, would pass limit.
func (o *outbound) push(msg outMsg, transportBuffered, limit int) (res enqueueResult, schedule bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return enqueueClosed, false
	}
	if o.bytes+len(msg.data)+transportBuffered > limit {
		o.closeLocked()
		return enqueueOverflow, false
	}
	o.msgs = append(o.msgs, msg)
	o.bytes += len(msg.data)
	if o.scheduled || o.corked {
		return enqueued, false
	}
	o.scheduled = true
	return enqueued, true
}

func (o *outbound) closeLocked() {
	o.closed = true
	o.msgs = nil
	o.bytes = 0
}

// cork holds queued messages back until uncork.
func (o *outbound) cork() {
	o.mu.Lock()
	o.corked = true
	o.mu.Unlock()
}

// uncork puts head (if any) before everything queued while corked and
// reports whether the connection must be scheduled.
func (o *outbound) uncork(head []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.corked = false
	if o.closed && o.closeWith == nil {
		return false
	}
	if head != nil {
		o.msgs = append(o.msgs, outMsg{})
		copy(o.msgs[1:], o.msgs)
		o.msgs[0] = outMsg{data: head}
		o.bytes += len(head)
	}
	if o.scheduled || (len(o.msgs) == 0 && o.closeWith == nil) {
		return false
	}
	o.scheduled = true
	return true
}

// drop discards what is queued and accepts nothing more.
func (o *outbound) drop() {
	o.mu.Lock()
	o.closeLocked()
	o.closeWith = nil
	o.mu.Unlock()
}

// closeAfterQueued accepts nothing more and asks the writer to close the
// transport with d once what is queued is written. It reports whether the
// connection must be scheduled.
func (o *outbound) closeAfterQueued(d wire.Disconnect) (schedule, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false, false
	}
	o.closed = true
	o.closeWith = &d
	if o.scheduled || o.corked {
		return false, true
	}
	o.scheduled = true
	return true, true
}

// take swaps out what is waiting, and the close to perform after it, if
// any. Only the connection's writer shard calls it, so at most one take is
// in progress per connection.
func (o *outbound) take() ([]outMsg, *wire.Disconnect) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scheduled = false
	d := o.closeWith
	o.closeWith = nil
	if len(o.msgs) == 0 {
		return nil, d
	}
	msgs := o.msgs
	o.msgs = o.spare[:0]
	o.spare = nil
	o.bytes = 0
	return msgs, d
}

// maxSpareMsgs bounds the message slice a connection keeps for reuse
// whatever its use. A burst (the join pushes of a room filling up, a
// backlog behind a slow reader) can grow a queue to thousands of entries;
// kept, those arrays would stay on the heap for the connection's life
// (measured: about 10 KB per subscriber after 5,000 joins, doubling the
// live heap the collector scans).
const maxSpareMsgs = 64

// maxBusySpareMsgs bounds the slice kept while it is in use: an array of
// up to this many entries is kept when the batch just drained filled at
// least a quarter of it. Under sustained load every flush carries tens of
// publications; dropping those arrays at each flush made the queue the
// source of three quarters of all allocation (profile at 134
// publications/s to 5,000 subscribers: 6.6 MB/s, a collection every few
// seconds). The next smaller batch drops it, and every connection gets at
// least a ping per ping interval, so a grown array outlives its use by one
// interval at most.
const maxBusySpareMsgs = 1024

// giveBack returns a drained slice for reuse, dropping references so the
// encodings can be collected.
func (o *outbound) giveBack(msgs []outMsg) {
	if c := cap(msgs); c > maxSpareMsgs && (c > maxBusySpareMsgs || len(msgs) < c/4) {
		return
	}
	clear(msgs)
	o.mu.Lock()
	if o.spare == nil {
		o.spare = msgs[:0]
	}
	o.mu.Unlock()
}

// pending is the number of bytes waiting in the queue.
func (o *outbound) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}

// writerPool drains connection queues on a fixed set of goroutines, one per
// shard; a connection always uses the same shard, so its writes are never
// concurrent.
type writerPool struct {
	shards []*writerShard
	wg     sync.WaitGroup
	stop   chan struct{}
}

type writerShard struct {
	mu    sync.Mutex // guards ready
	ready []*Client
	wake  chan struct{}
	frame []byte // reused transport message buffer (owned by the shard goroutine)
	// zb and zpiece build compressed transport messages (owned by the
	// shard goroutine).
	zb     deflate.Builder
	zpiece []byte
}

func newWriterPool(n int) *writerPool {
	p := &writerPool{stop: make(chan struct{})}
	for i := 0; i < n; i++ {
		s := &writerShard{wake: make(chan struct{}, 1)}
		p.shards = append(p.shards, s)
		p.wg.Add(1)
		go p.run(s)
	}
	return p
}

func (p *writerPool) schedule(c *Client) {
	s := p.shards[c.shard%uint32(len(p.shards))]
	s.mu.Lock()
	s.ready = append(s.ready, c)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (p *writerPool) run(s *writerShard) {
	defer p.wg.Done()
	var batch []*Client
	for {
		select {
		case <-p.stop:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		batch, s.ready = s.ready, batch[:0]
		s.mu.Unlock()
		for i, c := range batch {
			c.flush(s)
			batch[i] = nil
		}
	}
}

func (p *writerPool) close() {
	close(p.stop)
	p.wg.Wait()
}
