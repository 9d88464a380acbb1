package hub

import (
	"runtime"
	"slices"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// Pings are empty replies: "{}" in JSON, an empty message in Protobuf.
var (
	pingJSON     = []byte("{}")
	pingProtobuf = []byte{}
)

// sweepInterval is how often the liveness sweep visits every connection:
// a quarter of the shortest timer it enforces, between 5 ms and 1 s.
func (h *Hub) sweepInterval() time.Duration {
	d := time.Second
	for _, t := range []time.Duration{h.cfg.PingInterval, h.cfg.PongTimeout, h.cfg.ConnectTimeout, h.cfg.WriteTimeout} {
		if t > 0 && t/4 < d {
			d = t / 4
		}
	}
	return max(d, 5*time.Millisecond)
}

// sweepYieldEvery is how many connections the sweep visits between yields
// (about 0.3 ms of work on the benchmark machine).
const sweepYieldEvery = 128

// sweepSliceMin is the shortest time between two slices of a sweep round.
const sweepSliceMin = 10 * time.Millisecond

// sweepMaxSlices bounds how many slices a round is cut into.
const sweepMaxSlices = 100

// sweepSliceConns is about how many connections one slice visits: a round
// is cut into as many slices as that makes, within sweepMaxSlices.
const sweepSliceConns = 128

// sweepSlices is the most slices one round of the sweep is cut into: each
// connection is still visited once per sweepInterval, but 1/n of them
// every 1/n of it (up to a hundredth every 10 ms with the default 1 s), so
// the work comes in small pieces. A whole round over 18,000 connections is
// about 25 ms of CPU. Cut in tens it still held up deliveries: while a
// slice runs, its goroutine stays runnable (runtime.Gosched only requeues
// it), and the Go scheduler polls the network only when nothing is
// runnable (or from its monitor thread every 10 ms), so the socket event
// loops, parked in the runtime's poller (decision 0022), heard of new
// bytes only after the slice. In the rooms benchmark that was a stall
// every 100 ms; slices of a hundredth, each followed by a park on the
// ticker, took the median p99 from 6.5 to 4.7 ms (docs/benchmarks.md).
func (h *Hub) sweepSlices() int {
	return min(max(int(h.sweepInterval()/sweepSliceMin), 1), sweepMaxSlices)
}

// slicesFor is how many slices a round over n connections is cut into:
// one per sweepSliceConns, at least 1 (an idle node wakes once a round),
// at most sweepSlices.
func (h *Hub) slicesFor(n int) int {
	return min(max((n+sweepSliceConns-1)/sweepSliceConns, 1), h.sweepSlices())
}

// sweepLoop is the hub's one timer for every connection (instead of a timer
// per connection): pings, pong and connect deadlines, token expiry, and
// transports that stopped draining. Each round lists the connections and
// cuts them into slicesFor(n) slices run 1/slices of a round apart.
func (h *Hub) sweepLoop() {
	defer h.wg.Done()
	interval := h.sweepInterval()
	slices := 1
	t := time.NewTicker(interval)
	defer t.Stop()
	var listed, round []*Client                 // this round's connections, listed at its first slice
	bounds := make([]int, 2, h.sweepSlices()+1) // slice k is round[bounds[k]:bounds[k+1]]
	slice := 0
	var lastTick time.Time
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		if slice == 0 {
			listed = h.clients.appendAll(listed[:0])
			if n := h.slicesFor(len(listed)); n != slices {
				slices = n
				t.Reset(interval / time.Duration(slices))
			}
			bounds = bounds[:slices+1]
			round = bySweepSlice(listed, round[:0], bounds)
		}
		lo, hi := bounds[slice], bounds[slice+1]
		// The ticker's own time may be late; pings and deadlines count
		// from now. Late by more than the node timeout, this process was
		// frozen or starved, and the other nodes may have taken it for
		// dead.
		now := time.Now()
		if !lastTick.IsZero() && h.cfg.NodeTimeout > 0 && now.Sub(lastTick) > h.cfg.NodeTimeout {
			h.MayHaveBeenReaped()
		}
		lastTick = now
		for i, c := range round[lo:hi] {
			c.sweep(now)
			// Yield now and then: with one or few Ps a goroutine that does
			// not yield holds the CPU for a whole scheduler slice (10 ms)
			// against each of the several goroutines a delivery passes
			// through, which showed as 100 ms latency tails in the rooms
			// benchmark.
			if (i+1)%sweepYieldEvery == 0 {
				runtime.Gosched()
			}
		}
		if slice = (slice + 1) % slices; slice == 0 {
			clear(listed) // let closed connections go
			clear(round)
		}
	}
}

// bySweepSlice orders cs into out by slice, a connection always in slice
// shard mod len(bounds)-1, so each is visited at the same point of every
// round (once per sweep interval, not anywhere from just after to almost
// two intervals apart, as in the registry's random order); bounds gets
// each slice's start, and its end last.
func bySweepSlice(cs, out []*Client, bounds []int) []*Client {
	n := uint32(len(bounds) - 1)
	clear(bounds)
	for _, c := range cs {
		bounds[c.shard%n+1]++
	}
	for k := 1; k < len(bounds); k++ {
		bounds[k] += bounds[k-1]
	}
	out = slices.Grow(out[:0], len(cs))[:len(cs)]
	next := append([]int(nil), bounds[:n]...)
	for _, c := range cs {
		k := c.shard % n
		out[next[k]] = c
		next[k]++
	}
	return out
}

func (c *Client) sweep(now time.Time) {
	h := c.hub
	c.mu.Lock()
	state, expires, connectSeen, refusedAt := c.state, c.expiresAt, c.connectSeen, c.connectRefusedAt
	var expired []string
	for name, s := range c.subs.all() {
		if !s.expiresAt.IsZero() && now.After(s.expiresAt.Add(h.cfg.ExpiryGrace)) {
			expired = append(expired, name)
		}
	}
	c.mu.Unlock()
	switch state {
	case stateClosed:
		return
	case stateConnecting:
		switch since := now.Sub(h.born); {
		case connectSeen:
		case refusedAt > 0 && since-refusedAt > h.cfg.ConnectTimeout:
			c.Disconnect(wire.Disconnect{Code: wire.DisconnectStale.Code,
				Reason: "no new connect within client.connect_timeout after a refused one (109: get a new token and connect again)"})
		case refusedAt == 0 && since-c.acceptedAt > h.cfg.ConnectTimeout:
			c.Disconnect(wire.DisconnectStale)
		}
		return
	}
	if expires != 0 && now.UnixNano() > expires+int64(h.cfg.ExpiryGrace) {
		c.Disconnect(wire.DisconnectExpired)
		return
	}
	for _, name := range expired {
		c.serverUnsubscribe(name, unsubscribeExpired)
	}
	if sent := c.pingSentAt.Load(); sent != 0 && now.UnixNano()-sent > int64(h.cfg.PongTimeout) {
		c.Disconnect(wire.DisconnectNoPong)
		return
	}
	if c.writeStalled(now) {
		h.metrics.queueOverflows.Add(1)
		h.log.Info("slow consumer disconnected: peer took nothing for the write timeout", "client", c.id, "user", c.User(),
			"write_timeout", h.cfg.WriteTimeout)
		c.disconnectNow(wire.DisconnectSlow)
		return
	}
	if h.cfg.PingInterval > 0 && now.UnixNano()-c.lastPingAt.Load() >= int64(h.cfg.PingInterval) {
		c.lastPingAt.Store(now.UnixNano())
		c.pingSentAt.CompareAndSwap(0, now.UnixNano())
		if c.proto == protocol.TypeJSON {
			c.enqueue(pingJSON)
		} else {
			c.enqueue(pingProtobuf)
		}
	}
}

// writeStalled reports whether the peer has taken none of the bytes waiting
// for it (in the transport or the kernel) for WriteTimeout: it stopped
// reading. Asking the kernel costs a system call, so only connections
// written to since the last look, or still holding bytes then, are asked.
func (c *Client) writeStalled(now time.Time) bool {
	written := c.framesWritten.Load()
	if written == c.sweptFrames && c.bufferedSince.Load() == 0 && c.t.Buffered() == 0 {
		return false
	}
	c.sweptFrames = written
	pending, taken := c.t.Backlog()
	progressed := taken != uint64(c.lastTaken.Swap(int64(taken)))
	switch {
	case pending == 0 || progressed:
		c.bufferedSince.Store(0)
	case c.bufferedSince.Load() == 0:
		c.bufferedSince.Store(now.UnixNano())
	case now.UnixNano()-c.bufferedSince.Load() > int64(c.hub.cfg.WriteTimeout):
		return true
	}
	return false
}
