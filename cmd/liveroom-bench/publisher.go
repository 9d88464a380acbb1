package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// driver publishes on a fixed schedule and counts what was acknowledged:
// the server API or a client connection from this process (publisher), or
// the subscribers' own connections (memberDriver).
type driver interface {
	// run publishes rate per second for dur, or until stop closes (when not
	// nil), and returns when every publication was sent and answered.
	run(ctx context.Context, stop <-chan struct{}, rate float64, dur time.Duration) error
	counters(ctx context.Context) (pubCounters, error)
	// setAck records intended send → acknowledged into h (nil: stop).
	setAck(h *latency.Histogram)
	close()
}

// pubCounters are a driver's totals since it started.
type pubCounters struct {
	Sent, Acked, Failed int64
	Backlog             int64  // most publications waiting for a worker at once in the last run
	MaxOffset           uint64 // highest offset the server answered (API)
	Errs                map[string]int64
}

// pubConfig describes how publications are sent.
type pubConfig struct {
	Via       string                 // "api" (POST /api/publish from a pool) or "ws" (one client connection)
	ChannelOf func(seq int64) string // the channel of the seq-th publication
	Size      int                    // bytes of publication data
	Workers   int                    // API calls in flight at most
}

// dataOverhead is the length of the data without padding, with a 19-digit
// timestamp: {"ts":1234567890123456789,"pad":""}.
const dataOverhead = 35

// pubData returns publication data of size bytes for a send scheduled at
// intended (Unix ns): the timestamp first, so deliveries are scanned fast.
func pubData(intended int64, pad string) []byte {
	return fmt.Appendf(nil, `{"ts":%d,"pad":"%s"}`, intended, pad)
}

// job is one scheduled publication.
type job struct {
	seq      int64
	intended int64 // Unix ns: the scheduled send time, the latency reference
}

// publisher sends publications from this process on a fixed schedule.
type publisher struct {
	log  *slog.Logger
	t    *target
	cfg  pubConfig
	pad  string
	http *http.Client
	ws   *wsPublisher // when cfg.Via == "ws"

	ack       atomic.Pointer[latency.Histogram] // intended send → acknowledged, in a window
	sent      atomic.Int64
	acked     atomic.Int64
	failed    atomic.Int64
	backlog   atomic.Int64 // most publications waiting for a worker at once
	maxOffset atomic.Uint64

	mu   sync.Mutex       // guards errs
	errs map[string]int64 // failures by kind
}

func newPublisher(ctx context.Context, log *slog.Logger, t *target, cfg pubConfig) (*publisher, error) {
	p := &publisher{
		log: log, t: t, cfg: cfg,
		pad:  strings.Repeat("x", max(cfg.Size-dataOverhead, 0)),
		errs: make(map[string]int64),
		http: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: cfg.Workers, MaxConnsPerHost: cfg.Workers,
				DialContext: t.dialer(0).DialContext,
			},
		},
	}
	switch cfg.Via {
	case "api":
	case "ws":
		if t.spec.Kind == targetSocketIO {
			return nil, errors.New("--publish-via ws: not for socketio here (a chat must come from a member of the room: use the rooms scenario)")
		}
		ws, err := dialWSPublisher(ctx, p)
		if err != nil {
			return nil, err
		}
		p.ws = ws
	default:
		return nil, fmt.Errorf("--publish-via %q: want api or ws", cfg.Via)
	}
	return p, nil
}

// close ends the WebSocket publisher, if any, and idle API connections.
func (p *publisher) close() {
	if p.ws != nil {
		p.ws.close()
	}
	p.http.CloseIdleConnections()
}

func (p *publisher) setAck(h *latency.Histogram) { p.ack.Store(h) }

func (p *publisher) counters(context.Context) (pubCounters, error) {
	p.mu.Lock()
	errs := maps.Clone(p.errs)
	p.mu.Unlock()
	return pubCounters{Sent: p.sent.Load(), Acked: p.acked.Load(), Failed: p.failed.Load(),
		Backlog: p.backlog.Load(), MaxOffset: p.maxOffset.Load(), Errs: errs}, nil
}

func (p *publisher) fail(err error) {
	p.failed.Add(1)
	kind := "io"
	var ae *apiError
	var re *replyError
	switch {
	case errors.As(err, &ae):
		kind = fmt.Sprintf("http %d", ae.Status)
	case errors.As(err, &re):
		kind = fmt.Sprintf("error %d", re.Code)
	}
	p.mu.Lock()
	p.errs[kind]++
	first := p.errs[kind] == 1
	p.mu.Unlock()
	if first {
		p.log.Warn("publish failed", "kind", kind, "err", err)
	}
}

func (p *publisher) acked1(intended int64) {
	p.acked.Add(1)
	if h := p.ack.Load(); h != nil {
		h.Record(time.Duration(time.Now().UnixNano() - intended))
	}
}

// run publishes rate publications per second for dur or until stop. The
// i-th is scheduled at start + i/rate and carries that time, whenever it
// actually leaves: a server (or publisher) that falls behind shows as
// latency, not as a lower rate (no coordinated omission).
func (p *publisher) run(ctx context.Context, stop <-chan struct{}, rate float64, dur time.Duration) error {
	p.backlog.Store(0)
	jobs := make(chan job, 1<<16)
	var wg sync.WaitGroup
	if p.ws == nil {
		for range max(p.cfg.Workers, 1) {
			wg.Go(func() { p.apiWorker(ctx, jobs) })
		}
	} else {
		wg.Go(func() { p.ws.writer(ctx, jobs) })
	}
	schedule(ctx, stop, time.Now().UnixNano(), rate, dur, func(j job) {
		if n := int64(len(jobs)); n > p.backlog.Load() {
			p.backlog.Store(n)
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
		}
	})
	close(jobs)
	wg.Wait()
	if p.ws != nil {
		p.ws.waitAcks(ctx, p.sent.Load(), 30*time.Second)
	}
	return ctx.Err()
}

// schedule calls send for each publication due at start + i/rate (start in
// Unix ns) until dur has passed or stop closes, catching up at once when it
// wakes late.
func schedule(ctx context.Context, stop <-chan struct{}, startNS int64, rate float64, dur time.Duration, send func(job)) {
	period := float64(time.Second) / rate
	start := time.Unix(0, startNS)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := int64(0); ; i++ {
		offset := time.Duration(float64(i) * period)
		if offset >= dur {
			return
		}
		if wait := time.Until(start.Add(offset)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case <-timer.C:
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			default:
			}
		}
		send(job{seq: i, intended: startNS + int64(offset)})
	}
}

func (p *publisher) apiWorker(ctx context.Context, jobs <-chan job) {
	var body []byte
	for j := range jobs {
		body = fmt.Appendf(body[:0], `{"channel":%q,"data":%s}`, p.cfg.ChannelOf(j.seq), pubData(j.intended, p.pad))
		p.sent.Add(1)
		var ans publishAnswer
		if err := p.t.api(ctx, p.http, "publish", body, &ans); err != nil {
			if ctx.Err() != nil {
				return
			}
			p.fail(err)
			continue
		}
		for {
			m := p.maxOffset.Load()
			if ans.Offset <= m || p.maxOffset.CompareAndSwap(m, ans.Offset) {
				break
			}
		}
		p.acked1(j.intended)
	}
}
