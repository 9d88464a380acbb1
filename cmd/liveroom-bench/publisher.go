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

// pubConfig describes how publications are sent.
type pubConfig struct {
	Via     string // "api" (POST /api/publish from a pool) or "ws" (one client connection)
	Channel string
	Size    int // bytes of publication data
	Workers int // API calls in flight at most
}

// dataOverhead is the length of the data without padding, with a 19-digit
// timestamp: {"ts":1234567890123456789,"pad":""}.
const dataOverhead = 35

// job is one scheduled publication.
type job struct {
	seq      int64
	intended int64 // Unix ns: the scheduled send time, the latency reference
}

// publisher sends publications on a fixed schedule.
type publisher struct {
	log  *slog.Logger
	t    *target
	cfg  pubConfig
	pad  string
	http *http.Client
	ws   *wsPublisher // when cfg.Via == "ws"

	ack     atomic.Pointer[latency.Histogram] // intended send → acknowledged, in a window
	sent    atomic.Int64
	acked   atomic.Int64
	failed  atomic.Int64
	backlog atomic.Int64 // most publications waiting for a worker at once

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

// data returns the publication data for a send scheduled at intended.
func (p *publisher) data(intended int64) string {
	return fmt.Sprintf(`{"ts":%d,"pad":"%s"}`, intended, p.pad)
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

func (p *publisher) errCounts() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.errs)
}

func (p *publisher) acked1(intended int64) {
	p.acked.Add(1)
	if h := p.ack.Load(); h != nil {
		h.Record(time.Duration(time.Now().UnixNano() - intended))
	}
}

// run publishes rate publications per second for dur. The i-th is
// scheduled at start + i/rate and carries that time, whenever it actually
// leaves: a server (or publisher) that falls behind shows as latency, not as
// a lower rate (no coordinated omission). run returns when every scheduled
// publication has been sent and answered, or ctx ends.
func (p *publisher) run(ctx context.Context, rate float64, dur time.Duration) {
	jobs := make(chan job, 1<<16)
	var wg sync.WaitGroup
	if p.ws == nil {
		for range max(p.cfg.Workers, 1) {
			wg.Go(func() { p.apiWorker(ctx, jobs) })
		}
	} else {
		wg.Go(func() { p.ws.writer(ctx, jobs) })
	}
	schedule(ctx, rate, dur, func(j job) {
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
}

// schedule calls send for each publication due at start + i/rate until dur
// has passed, catching up at once when it wakes late.
func schedule(ctx context.Context, rate float64, dur time.Duration, send func(job)) {
	period := float64(time.Second) / rate
	start := time.Now()
	startNS := start.UnixNano()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := int64(0); ; i++ {
		offset := time.Duration(float64(i) * period)
		if offset >= dur {
			return
		}
		if wait := offset - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		send(job{seq: i, intended: startNS + int64(offset)})
	}
}

func (p *publisher) apiWorker(ctx context.Context, jobs <-chan job) {
	var body []byte
	prefix := fmt.Sprintf(`{"channel":%q,"data":`, p.cfg.Channel)
	for j := range jobs {
		body = append(append(body[:0], prefix...), p.data(j.intended)...)
		body = append(body, '}')
		p.sent.Add(1)
		if err := p.t.api(ctx, p.http, "publish", body, nil); err != nil {
			if ctx.Err() != nil {
				return
			}
			p.fail(err)
			continue
		}
		p.acked1(j.intended)
	}
}
