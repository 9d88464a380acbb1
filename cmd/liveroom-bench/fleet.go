package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/wsconn"
)

// numShards spreads the counters and histograms that every connection
// writes, so cores do not fight over one cache line.
const numShards = 16

type paddedCounter struct {
	atomic.Int64
	_ [56]byte
}

// recorder collects the latencies of one measurement window.
type recorder struct {
	hists [numShards]latency.Histogram
}

func (r *recorder) snapshot() *latency.Snapshot {
	s := r.hists[0].Snapshot()
	for i := 1; i < numShards; i++ {
		s.Merge(r.hists[i].Snapshot())
	}
	return s
}

// fleetConfig describes the connections of a fleet.
type fleetConfig struct {
	N           int
	User        func(i int) string
	Channel     func(i int) string
	ConnectRate float64 // new connections per second
	Dialing     int     // handshakes in flight at most
	Reconnect   bool    // dial again when a connection ends
	ReadBuffer  int     // initial read buffer per connection
}

// fleet is a set of subscriber connections, each run by one goroutine that
// reads, answers pings and records deliveries.
type fleet struct {
	log *slog.Logger
	t   *target
	cfg fleetConfig

	limiter *rate.Limiter
	dialSem chan struct{}

	rec       atomic.Pointer[recorder] // nil outside a measurement window
	delivered [numShards]paddedCounter
	ready     atomic.Int64 // connections subscribed right now
	pings     atomic.Int64
	gaps      atomic.Int64 // publications skipped (offset jumped)
	repeats   atomic.Int64 // offsets seen again or going back
	pushes    atomic.Int64 // other pushes (join, leave, unsubscribe, …)
	sessions  atomic.Int64 // sessions started (connects + reconnects)

	mu     sync.Mutex                // guards the fields below
	live   map[*wsconn.Conn]struct{} // open connections, closed by stop
	ends   map[string]int64          // why sessions ended: "close 3008", "http 503", …
	closed bool                      // stop was called
	wg     sync.WaitGroup            // one per connection goroutine
	cancel context.CancelFunc
}

// startFleet starts the connection goroutines; they run until stop.
func startFleet(ctx context.Context, log *slog.Logger, t *target, cfg fleetConfig) *fleet {
	ctx, cancel := context.WithCancel(ctx)
	f := &fleet{
		log: log, t: t, cfg: cfg, cancel: cancel,
		limiter: rate.NewLimiter(rate.Limit(cfg.ConnectRate), max(int(cfg.ConnectRate/10), 1)),
		dialSem: make(chan struct{}, max(cfg.Dialing, 1)),
		live:    make(map[*wsconn.Conn]struct{}),
		ends:    make(map[string]int64),
	}
	f.wg.Add(cfg.N)
	for i := range cfg.N {
		go f.runConn(ctx, i)
	}
	return f
}

// stop closes every connection and waits for their goroutines.
func (f *fleet) stop() {
	f.cancel()
	f.mu.Lock()
	f.closed = true
	for c := range f.live {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// track registers an open connection; false when the fleet is stopping.
func (f *fleet) track(c *wsconn.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.live[c] = struct{}{}
	return true
}

func (f *fleet) untrack(c *wsconn.Conn) {
	f.mu.Lock()
	delete(f.live, c)
	f.mu.Unlock()
}

// ended counts why a session ended and logs the first of each kind.
func (f *fleet) ended(err error) {
	var reason string
	var ce *wsconn.CloseError
	var he *wsconn.HandshakeError
	var re *replyError
	switch {
	case errors.As(err, &ce):
		reason = fmt.Sprintf("close %d", ce.Code)
	case errors.As(err, &he):
		reason = fmt.Sprintf("http %d", he.Status)
	case errors.As(err, &re):
		reason = fmt.Sprintf("error %d", re.Code)
	default:
		reason = "io"
	}
	f.mu.Lock()
	f.ends[reason]++
	first := f.ends[reason] == 1
	f.mu.Unlock()
	if first {
		f.log.Warn("connection ended", "reason", reason, "err", err)
	}
}

// endCounts returns a copy of the session end reasons.
func (f *fleet) endCounts() map[string]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.ends)
}

// totalDelivered returns the publications received since the start.
func (f *fleet) totalDelivered() int64 {
	var n int64
	for i := range f.delivered {
		n += f.delivered[i].Load()
	}
	return n
}

// waitReady waits until n connections are subscribed.
func (f *fleet) waitReady(ctx context.Context, n int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		r := f.ready.Load()
		if r >= int64(n) {
			return nil
		}
		if time.Since(last) >= 5*time.Second {
			f.log.Info("connecting", "subscribed", r, "of", n, "ended", f.endCounts())
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d connections subscribed: %w", f.ready.Load(), n, ctx.Err())
		case <-tick.C:
		}
	}
}

// runConn keeps connection i open, dialling again after it ends when the
// fleet reconnects.
func (f *fleet) runConn(ctx context.Context, i int) {
	defer f.wg.Done()
	s := &subscriber{i: i, user: f.cfg.User(i), channel: f.cfg.Channel(i)}
	backoff := 250 * time.Millisecond
	for {
		subscribed, err := f.session(ctx, s)
		if ctx.Err() != nil {
			return
		}
		f.ended(err)
		if !f.cfg.Reconnect {
			return
		}
		if subscribed {
			backoff = 250 * time.Millisecond
		}
		wait := backoff/2 + rand.N(backoff)
		backoff = min(2*backoff, 5*time.Second)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
