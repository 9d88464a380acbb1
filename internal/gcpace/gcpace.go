// Package gcpace spaces the Go garbage collector's cycles out while the
// process allocates fast, and leaves the runtime's default when it does not
// (decision 0023).
//
// The runtime starts a collection when the heap has grown by GOGC percent
// of the live heap (100 by default: twice the live heap). Under a chat load
// the allocation rate, most of it the NATS server's and client's per
// message, makes that a collection every few seconds, and on one CPU each
// mark phase holds deliveries up for tens of milliseconds. A fixed higher
// GOGC would space them out but also multiply an idle server's memory,
// which allocates little. The pacer instead measures the allocation rate
// once per Interval and sets GOGC so that the heap may grow by what the
// process allocates in Period, within MaxHeadroom bytes, and never below
// the runtime's 100:
//
//	GOGC = clamp(100 × min(rate × Period, MaxHeadroom) ÷ live heap, 100, 10,000)
//
// where rate is a moving average of bytes allocated per second (the
// runtime's /gc/heap/allocs:bytes) and the live heap is what the last
// collection marked (/gc/heap/live:bytes). A memory limit (GOMEMLIMIT) still
// applies: the runtime collects on reaching it whatever GOGC says.
package gcpace

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// running is set while a Run paces: GOGC is one setting per process, so
// only one Run at a time paces it (tests start several servers in one
// process).
var running atomic.Bool

// Config sets the pacer.
type Config struct {
	// Period is how far apart collections should be under load; 0 turns
	// the pacer off.
	Period time.Duration
	// MaxHeadroom bounds the heap's growth past the live heap between two
	// collections, in bytes, however fast the process allocates.
	MaxHeadroom int64
	// Interval is how often the allocation rate is measured (default 1 s).
	Interval time.Duration
	// Logger gets a debug line for each change of GOGC.
	Logger *slog.Logger
}

// Bounds of the GOGC the pacer sets.
const (
	minPercent = 100    // the runtime's default: never collect more often than it would
	maxPercent = 10_000 // a live heap of a few MB would otherwise ask for huge values
	// rateWeight is the weight of the newest second in the moving average
	// of the allocation rate.
	rateWeight = 0.3
	// changeFactor: GOGC is changed only when the new value differs from
	// the one set by more than this factor, so it does not move with every
	// second's noise.
	changeFactor = 1.15
)

// Percent is the GOGC for an allocation rate (bytes per second) and a live
// heap (bytes): the formula in the package comment.
func Percent(rate float64, live uint64, period time.Duration, maxHeadroom int64) int {
	if live == 0 || period <= 0 {
		return minPercent
	}
	headroom := min(rate*period.Seconds(), float64(maxHeadroom))
	p := 100 * headroom / float64(live)
	switch {
	case p < minPercent:
		return minPercent
	case p > maxPercent:
		return maxPercent
	}
	return int(p)
}

// Run paces the collector until ctx ends, then gives GOGC back the value it
// had. It blocks; the caller owns the goroutine. While another Run paces in
// this process it returns at once.
func Run(ctx context.Context, cfg Config) {
	if cfg.Period <= 0 || !running.CompareAndSwap(false, true) {
		return
	}
	defer running.Store(false)
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// SetGCPercent returns the previous value: read it by setting it back.
	initial := debug.SetGCPercent(minPercent)
	debug.SetGCPercent(initial)
	defer debug.SetGCPercent(initial)
	set := initial

	samples := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(samples)
	lastAllocs, lastAt := samples[0].Value.Uint64(), time.Now()
	rate := 0.0
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(samples)
		now := time.Now()
		allocs, live := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		if dt := now.Sub(lastAt).Seconds(); dt > 0 && allocs >= lastAllocs {
			rate = rateWeight*float64(allocs-lastAllocs)/dt + (1-rateWeight)*rate
		}
		lastAllocs, lastAt = allocs, now
		want := Percent(rate, live, cfg.Period, cfg.MaxHeadroom)
		if float64(want) > float64(set)*changeFactor || float64(want)*changeFactor < float64(set) {
			debug.SetGCPercent(want)
			cfg.Logger.Debug("collector target changed", "gogc", want, "was", set,
				"alloc_bytes_per_sec", int64(rate), "live_heap_bytes", live)
			set = want
		}
	}
}
