package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// load publishes at fixed rates to a pool of subscribers and measures what
// arrives: the broadcast and rooms scenarios.
type load struct {
	t    *target
	log  *slog.Logger
	pool pool
	drv  driver
	// want is the connections that must be subscribed before a step.
	want int
	// fanout is the deliveries one publication should make, given the
	// connections subscribed.
	fanout func(ready int64) float64

	step             time.Duration
	rateStart        float64
	p99Bound         time.Duration
	minDelivered     float64
	retries          int
	maxOthers        float64
	disturbedRetries int
}

func (l *load) register(fs *flag.FlagSet) {
	fs.Float64Var(&l.rateStart, "rate-start", 10, "first rate of the saturation search")
	fs.DurationVar(&l.step, "step", 10*time.Second, "measurement window of each search step (after a 2 s warm-up)")
	fs.DurationVar(&l.p99Bound, "p99-bound", time.Second, "a search step keeps up only with p99 below this (the search measures capacity; latency is measured at a fixed rate)")
	fs.Float64Var(&l.minDelivered, "min-delivered", 0.99, "a search step keeps up only when this share of offered deliveries arrives")
	fs.IntVar(&l.retries, "retries", 1, "a failed search step is measured again this many times before it counts (a busy machine causes one-off spikes)")
	fs.Float64Var(&l.maxOthers, "max-others", 0.25, "a window in which the rest of the machine used more CPU than this (cores) is disturbed: a failed search step or the final measurement is taken again")
	fs.IntVar(&l.disturbedRetries, "disturbed-retries", 5, "how many times a disturbed window is taken again (10 s apart)")
}

// stepResult is one run of publications at a fixed rate.
type stepResult struct {
	Rate             float64          `json:"rate"` // publications per second offered
	Subscribers      int64            `json:"subscribers"`
	OfferedPerSec    float64          `json:"offered_deliveries_per_sec"`
	DeliveredPerSec  float64          `json:"delivered_per_sec"` // received in the window
	DeliveredRatio   float64          `json:"delivered_ratio"`
	Latency          latency.Summary  `json:"latency"`     // intended send → received
	PublishAck       latency.Summary  `json:"publish_ack"` // intended send → acknowledged (API and ws publisher)
	CPU              cpuUse           `json:"cpu"`
	CPUMsPer1000     float64          `json:"server_cpu_ms_per_1000_deliveries,omitempty"`
	DeliveriesPerCPU float64          `json:"deliveries_per_server_cpu_second,omitempty"`
	Published        int64            `json:"published"`
	PublishFailed    int64            `json:"publish_failed"`
	PublishErrors    map[string]int64 `json:"publish_errors,omitempty"`
	PublishBacklog   int64            `json:"publish_backlog_max"`
	Undelivered      int64            `json:"undelivered"` // expected but not received after the drain
	DrainMS          float64          `json:"drain_ms"`    // end of publishing → last delivery
	Gaps             int64            `json:"gaps"`
	Repeats          int64            `json:"repeats"`
	Ended            map[string]int64 `json:"sessions_ended,omitempty"` // during the step
	Disturbed        bool             `json:"disturbed,omitempty"`      // the rest of the machine used more than --max-others
	Pass             bool             `json:"pass"`
	Why              string           `json:"why,omitempty"` // why it did not pass
}

// measure publishes at rate for warmup + window and measures the window:
// deliveries received in it, their latencies, and the CPU it cost. It then
// waits for what is still on its way (the drain).
func (l *load) measure(ctx context.Context, rate float64, warmup, window time.Duration) (stepResult, error) {
	st := stepResult{Rate: rate}
	s0, err := l.pool.stats(ctx)
	if err != nil {
		return st, err
	}
	c0, err := l.drv.counters(ctx)
	if err != nil {
		return st, err
	}
	st.Subscribers = s0.Ready
	fan := l.fanout(s0.Ready)
	st.OfferedPerSec = rate * fan

	pubCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.drv.run(pubCtx, nil, rate, warmup+window) }()
	collected := false
	defer func() {
		if !collected {
			cancel()
			<-done
		}
	}()

	if err := sleepCtx(ctx, warmup); err != nil {
		return st, err
	}
	ack := &latency.Histogram{}
	cpu, err := startCPU(l.t, l.pool.pids())
	if err != nil {
		return st, err
	}
	w0, _, err := l.pool.window(ctx, true)
	if err != nil {
		return st, err
	}
	l.drv.setAck(ack)
	if err := sleepCtx(ctx, window); err != nil {
		return st, err
	}
	w1, hist, err := l.pool.window(ctx, false)
	if err != nil {
		return st, err
	}
	l.drv.setAck(nil)
	if st.CPU, err = cpu.end(); err != nil {
		return st, err
	}
	collected = true
	if err := <-done; err != nil {
		return st, err
	}
	sentAt := time.Now()
	c1, err := l.drv.counters(ctx)
	if err != nil {
		return st, err
	}

	// Drain: wait until every acknowledged publication reached every
	// subscriber, or nothing arrived for two seconds.
	want := s0.Delivered + int64(float64(c1.Acked-c0.Acked)*fan)
	last, err := l.pool.stats(ctx)
	if err != nil {
		return st, err
	}
	lastN, lastAt := last.Delivered, time.Now()
	for last.Delivered < want && time.Since(lastAt) < 2*time.Second && time.Since(sentAt) < 60*time.Second {
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return st, err
		}
		if last, err = l.pool.stats(ctx); err != nil {
			return st, err
		}
		if last.Delivered != lastN {
			lastN, lastAt = last.Delivered, time.Now()
		}
	}
	st.DrainMS = round3(float64(lastAt.Sub(sentAt)) / 1e6)
	st.Undelivered = max(want-last.Delivered, 0)

	st.Latency = hist.Summary()
	st.PublishAck = ack.Snapshot().Summary()
	inWindow := w1.Delivered - w0.Delivered
	st.DeliveredPerSec = round3(float64(inWindow) / st.CPU.Seconds)
	if st.OfferedPerSec > 0 {
		st.DeliveredRatio = round3(st.DeliveredPerSec / st.OfferedPerSec)
	}
	if st.CPU.ServerCPU > 0 && inWindow > 0 {
		st.CPUMsPer1000 = round3(st.CPU.ServerCPU * 1e3 / (float64(inWindow) / 1000))
		st.DeliveriesPerCPU = round3(float64(inWindow) / st.CPU.ServerCPU)
	}
	st.Published = c1.Acked - c0.Acked
	st.PublishFailed = c1.Failed - c0.Failed
	st.PublishErrors = diffCounts(c1.Errs, c0.Errs)
	st.PublishBacklog = c1.Backlog
	st.Gaps, st.Repeats = last.Gaps-s0.Gaps, last.Repeats-s0.Repeats
	st.Ended = diffCounts(addCounts(addCounts(nil, last.Ends), last.Fails), addCounts(addCounts(nil, s0.Ends), s0.Fails))
	st.Disturbed = st.CPU.OtherUtil > l.maxOthers
	st.Pass, st.Why = l.judge(st)
	if !st.Pass && st.PublishBacklog > 0 {
		st.Why += " (publications waited for a free publisher: if the server kept up, raise --workers)"
	}
	return st, nil
}

// measureUndisturbed measures like measure, again (after a pause) while
// the rest of the machine used more than --max-others cores in the window
// and the result is one that noise can cause: a pass counts either way.
// After --disturbed-retries it returns the last result, marked disturbed.
func (l *load) measureUndisturbed(ctx context.Context, rate float64, warmup, window time.Duration, passCounts bool) (stepResult, error) {
	for try := 0; ; try++ {
		st, err := l.measure(ctx, rate, warmup, window)
		if err != nil || !st.Disturbed || (passCounts && st.Pass) || try >= l.disturbedRetries {
			return st, err
		}
		l.log.Info("window disturbed by other work; measuring again", "rate", rate,
			"other_cores", st.CPU.OtherUtil, "max_others", l.maxOthers)
		if err := sleepCtx(ctx, 10*time.Second); err != nil {
			return st, err
		}
		if err := waitReady(ctx, l.log, l.pool, l.want, 2*time.Minute); err != nil {
			return st, err
		}
	}
}

// judge tells whether a step kept up: delivered ≥ the wanted share of what
// was offered, p99 within the bound, nothing failed, nobody disconnected.
func (l *load) judge(st stepResult) (bool, string) {
	switch {
	case st.DeliveredRatio < l.minDelivered:
		return false, "delivered below the share of offered"
	case st.Latency.P99MS > float64(l.p99Bound)/1e6:
		return false, "p99 above the bound"
	case st.PublishFailed > 0:
		return false, "publishes failed"
	case len(st.Ended) > 0:
		return false, "connections ended"
	case st.Undelivered > 0:
		return false, "publications not delivered after the drain"
	}
	return true, ""
}

// saturation is what the search found.
type saturation struct {
	Rate             float64      `json:"rate"` // highest publications/s that kept up
	DeliveriesPerS   float64      `json:"deliveries_per_sec"`
	CPUMsPer1000     float64      `json:"server_cpu_ms_per_1000_deliveries,omitempty"`
	DeliveriesPerCPU float64      `json:"deliveries_per_server_cpu_second,omitempty"`
	ServerCPUUtil    float64      `json:"server_cpu_util,omitempty"`
	ToolCPUUtil      float64      `json:"tool_cpu_util"`
	OtherCPUUtil     float64      `json:"other_cpu_util"`        // the rest of the machine in that step, cores
	ServerWaitShare  float64      `json:"server_cpu_wait_share"` // share of that step the server waited for a CPU
	FirstFailedRate  float64      `json:"first_failed_rate,omitempty"`
	Steps            []stepResult `json:"steps"`
}

// findSaturation searches the highest rate that keeps up (see rateSearch)
// and returns it with the measurement taken there.
func (l *load) findSaturation(ctx context.Context) (*saturation, error) {
	sat := &saturation{}
	srch := rateSearch{rate: l.rateStart}
	var best stepResult
	for range 20 {
		rate := srch.rate
		var st stepResult
		for try := 0; try <= l.retries && !st.Pass; try++ {
			if err := waitReady(ctx, l.log, l.pool, l.want, 2*time.Minute); err != nil {
				return nil, err
			}
			var err error
			if st, err = l.measureUndisturbed(ctx, rate, 2*time.Second, l.step, true); err != nil {
				return nil, err
			}
			sat.Steps = append(sat.Steps, st)
			l.log.Info("saturation step", "rate", rate, "pass", st.Pass, "why", st.Why,
				"delivered_ratio", st.DeliveredRatio, "p50_ms", st.Latency.P50MS, "p99_ms", st.Latency.P99MS,
				"server_cpu", st.CPU.ServerUtil, "tool_cpu", st.CPU.ToolUtil, "others_cpu", st.CPU.OtherUtil)
		}
		if st.Pass {
			best = st
		}
		done, err := srch.next(st.Pass)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", err, st.Why)
		}
		if done {
			sat.Rate, sat.FirstFailedRate = srch.lo, srch.hi
			sat.DeliveriesPerS = best.DeliveredPerSec
			sat.CPUMsPer1000 = best.CPUMsPer1000
			sat.DeliveriesPerCPU = best.DeliveriesPerCPU
			sat.ServerCPUUtil = best.CPU.ServerUtil
			sat.ToolCPUUtil = best.CPU.ToolUtil
			sat.OtherCPUUtil = best.CPU.OtherUtil
			sat.ServerWaitShare = best.CPU.ServerWaitShare
			return sat, nil
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("saturation search did not converge: kept up at %v/s, not at %v/s", srch.lo, srch.hi)
}

// rateSearch doubles the rate until a step fails to keep up, then narrows
// the bracket [lo, hi] to within 10 %. Latency is not monotonic in the rate
// for a server that batches (its writes carry more publications as the
// rate grows, so a higher rate can cost less per delivery), so the first
// failure is followed by one look ahead at twice that rate: if it keeps
// up, the doubling goes on from there.
type rateSearch struct {
	rate        float64 // the rate to measure next
	lo, hi      float64 // highest rate that kept up, lowest that did not (0: none yet)
	firstFail   float64 // the failure the look ahead is testing, 0 when none
	lookedAhead bool
}

// next takes the outcome at rate and picks the next rate; done is true
// when the bracket is narrow enough.
func (r *rateSearch) next(pass bool) (done bool, err error) {
	switch {
	case pass && r.firstFail > 0: // the look ahead kept up
		r.lo, r.firstFail = r.rate, 0
	case pass:
		r.lo = r.rate
	case r.hi == 0 && r.lo > 0 && !r.lookedAhead:
		r.firstFail, r.lookedAhead = r.rate, true
	case r.firstFail > 0: // the look ahead failed too
		r.hi, r.firstFail = r.firstFail, 0
	default:
		r.hi = r.rate
	}
	switch {
	case r.firstFail > 0:
		r.rate = r.firstFail * 2
	case r.hi == 0:
		r.rate = r.lo * 2
	case r.lo == 0:
		r.rate /= 2
		if r.rate < 0.5 {
			return false, fmt.Errorf("no rate down to %v/s keeps up", r.rate*2)
		}
	case r.hi/r.lo <= 1.1:
		return true, nil
	default:
		r.rate = math.Round(math.Sqrt(r.lo*r.hi)*10) / 10
	}
	return false, nil
}
