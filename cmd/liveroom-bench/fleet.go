package main

import (
	"context"
	"log/slog"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
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
	log   *deliveryLog // nil unless --latency-log
}

func (r *recorder) snapshot() *latency.Snapshot {
	s := r.hists[0].Snapshot()
	for i := 1; i < numShards; i++ {
		s.Merge(r.hists[i].Snapshot())
	}
	return s
}

// Layouts: which channel connection i subscribes to.
const (
	layoutChannel  = "channel"  // all to Channel
	layoutPersonal = "personal" // personal:bench-<i>
	layoutRooms    = "rooms"    // Channel + <i / Members>
)

// fleetConfig describes the connections of one process; it crosses to child
// processes as JSON.
type fleetConfig struct {
	Index       int     `json:"index"` // the process, for logs
	From        int     `json:"from"`  // connections From … To-1
	To          int     `json:"to"`
	Layout      string  `json:"layout"`
	Channel     string  `json:"channel"`
	Members     int     `json:"members,omitempty"`
	ConnectRate float64 `json:"connect_rate"` // new connections per second; 0: no limit
	Dialing     int     `json:"dialing"`      // handshakes in flight at most
	Reconnect   bool    `json:"reconnect"`    // dial again when a connection ends
	// Recover: resubscribe with recover, epoch and offset after a
	// reconnect, as an SDK does.
	Recover bool `json:"recover"`
	// SpreadNS: after the tool drops the connections, each waits a random
	// time below this before dialling again (0: at once).
	SpreadNS   int64 `json:"spread_ns,omitempty"`
	ReadBuffer int   `json:"read_buffer,omitempty"`
	// StartNS: no connection dials before this time (Unix ns), so that
	// every process of a storm starts together after the CPU is sampled.
	StartNS int64 `json:"start_ns,omitempty"`
	// LatencyLog: when set, every delivery of each measurement window is
	// written to a file under this prefix (see latencyLogPath).
	LatencyLog string `json:"latency_log,omitempty"`
}

func (c fleetConfig) user(i int) string { return "bench-" + strconv.Itoa(i) }

func (c fleetConfig) channel(i int) string {
	switch c.Layout {
	case layoutPersonal:
		return "personal:bench-" + strconv.Itoa(i)
	case layoutRooms:
		return c.Channel + strconv.Itoa(i/c.Members)
	}
	return c.Channel
}

// subscriber is one connection's identity and position. It outlives its
// sessions: a reconnect resumes from last.
type subscriber struct {
	i       int
	user    string
	channel string
	token   string
	epoch   string // owned by the connection's goroutine
	seenTo  int64  // the drop (dropAt) already accounted for
	last    atomic.Uint64
	lost    atomic.Int64 // publications skipped (offset jumped)
	dup     atomic.Int64 // offsets seen again or going back
}

// fleet is a set of connections, each run by one goroutine that reads,
// answers pings and accounts deliveries.
type fleet struct {
	log *slog.Logger
	t   *target
	cfg fleetConfig

	limiter *rate.Limiter
	dialSem chan struct{}
	subs    []*subscriber
	conns   []atomic.Pointer[connSession] // subscribed sessions, by i - From

	rec          atomic.Pointer[recorder] // nil outside a measurement window
	delivered    [numShards]paddedCounter
	ready        atomic.Int64 // connections subscribed right now
	pings        atomic.Int64
	gaps         atomic.Int64
	repeats      atomic.Int64
	pushes       atomic.Int64 // other pushes (join, leave, …)
	early        atomic.Int64 // publications before the subscribe reply
	sessions     atomic.Int64 // sessions started
	recovered    atomic.Int64 // subscribe replies with was_recovering and recovered
	unrecovered  atomic.Int64 // … with was_recovering and not recovered
	epochChanged atomic.Int64
	resubscribed atomic.Int64 // subscriptions after the last drop
	pubSent      atomic.Int64 // member publications (rooms)
	pubAcked     atomic.Int64
	pubFailed    atomic.Int64
	pubActive    atomic.Int64 // member publishing schedules running
	firstDial    atomic.Int64 // Unix ns
	lastReady    atomic.Int64 // Unix ns
	dropAt       atomic.Int64 // Unix ns of the last drop, 0 before
	setupHist    latency.Histogram
	connectHist  latency.Histogram
	resubHist    latency.Histogram
	lateHist     latency.Histogram // member publications: write time − scheduled time

	mu      sync.Mutex                // guards the fields below
	live    map[*connSession]struct{} // open connections, closed by stop
	ends    map[string]int64          // why subscribed sessions ended
	fails   map[string]int64          // why sessions failed before subscribing
	pubErrs map[string]int64          // member publish failures by kind
	closed  bool                      // stop was called
	wg      sync.WaitGroup            // one per connection goroutine
	cancel  context.CancelFunc
}

// startFleet starts the connection goroutines; they run until stop.
func startFleet(ctx context.Context, log *slog.Logger, t *target, cfg fleetConfig) *fleet {
	ctx, cancel := context.WithCancel(ctx)
	limit := rate.Inf
	if cfg.ConnectRate > 0 {
		limit = rate.Limit(cfg.ConnectRate)
	}
	n := cfg.To - cfg.From
	f := &fleet{
		log: log, t: t, cfg: cfg, cancel: cancel,
		limiter: rate.NewLimiter(limit, max(int(cfg.ConnectRate/10), 1)),
		dialSem: make(chan struct{}, max(cfg.Dialing, 1)),
		subs:    make([]*subscriber, n),
		conns:   make([]atomic.Pointer[connSession], n),
		live:    make(map[*connSession]struct{}),
		ends:    make(map[string]int64),
		fails:   make(map[string]int64),
		pubErrs: make(map[string]int64),
	}
	for k := range n {
		i := cfg.From + k
		f.subs[k] = &subscriber{i: i, user: cfg.user(i), channel: cfg.channel(i)}
	}
	f.wg.Add(n)
	for _, s := range f.subs {
		go f.runConn(ctx, s)
	}
	return f
}

// stop closes every connection and waits for their goroutines.
func (f *fleet) stop() {
	f.cancel()
	f.mu.Lock()
	f.closed = true
	for cs := range f.live {
		_ = cs.c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// drop resets every open connection at once, as a network failure would;
// the sessions reconnect (with recovery when configured).
func (f *fleet) drop() int {
	f.dropAt.Store(time.Now().UnixNano())
	f.resubscribed.Store(0)
	f.limiter.SetLimit(rate.Inf)
	f.mu.Lock()
	defer f.mu.Unlock()
	for cs := range f.live {
		cs.dropped.Store(true)
		_ = cs.c.Abort()
	}
	return len(f.live)
}

// track registers an open connection; false when the fleet is stopping.
func (f *fleet) track(cs *connSession) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.live[cs] = struct{}{}
	return true
}

func (f *fleet) untrack(cs *connSession) {
	f.mu.Lock()
	delete(f.live, cs)
	f.mu.Unlock()
}

// count adds one to a reason in m (guarded by mu) and logs the first of
// each kind.
func (f *fleet) count(m map[string]int64, what, reason string, err error) {
	f.mu.Lock()
	m[reason]++
	first := m[reason] == 1
	f.mu.Unlock()
	if first && err != nil {
		f.log.Warn(what, "reason", reason, "err", err)
	}
}

// counts returns copies of the reason maps.
func (f *fleet) counts() (ends, fails, pubErrs map[string]int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.ends), maps.Clone(f.fails), maps.Clone(f.pubErrs)
}

// totalDelivered returns the publications received since the start.
func (f *fleet) totalDelivered() int64 {
	var n int64
	for i := range f.delivered {
		n += f.delivered[i].Load()
	}
	return n
}

// runConn keeps connection s open, dialling again after it ends when the
// fleet reconnects.
func (f *fleet) runConn(ctx context.Context, s *subscriber) {
	defer f.wg.Done()
	if err := sleepCtx(ctx, time.Until(time.Unix(0, f.cfg.StartNS))); err != nil {
		return
	}
	backoff := 250 * time.Millisecond
	for {
		cs := &connSession{f: f, s: s}
		err := f.session(ctx, cs)
		if ctx.Err() != nil {
			return
		}
		reason := endReason(err)
		switch {
		case cs.dropped.Load():
			f.count(f.ends, "", "dropped by the tool", nil)
		case cs.everSubscribed:
			f.count(f.ends, "connection ended", reason, err)
		default:
			f.count(f.fails, "connection failed", reason+cs.phase(), err)
		}
		if !f.cfg.Reconnect {
			return
		}
		if cs.everSubscribed {
			backoff = 250 * time.Millisecond
		}
		wait := backoff/2 + rand.N(backoff)
		backoff = min(2*backoff, 5*time.Second)
		if cs.dropped.Load() {
			wait = 0
			if f.cfg.SpreadNS > 0 {
				wait = time.Duration(rand.Int64N(f.cfg.SpreadNS))
			}
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return
		}
	}
}

// setMin and setMax keep the smallest and largest value stored.
func setMin(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if (old != 0 && old <= v) || a.CompareAndSwap(old, v) {
			return
		}
	}
}

func setMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if old >= v || a.CompareAndSwap(old, v) {
			return
		}
	}
}
