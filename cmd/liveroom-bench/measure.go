package main

import (
	"context"
	"os"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/procstat"
)

// cpuWindow samples the server's and this tool's CPU time around a window.
type cpuWindow struct {
	t            *target
	server, tool procstat.Sample
	machine      procstat.Machine
	hasServer    bool
}

func startCPU(t *target) (cpuWindow, error) {
	w := cpuWindow{t: t}
	var err error
	if w.server, w.hasServer, err = t.sample(); err != nil {
		return w, err
	}
	if w.machine, err = procstat.ReadMachine(); err != nil {
		return w, err
	}
	w.tool, err = procstat.Read(os.Getpid())
	return w, err
}

// cpuUse is what a window cost.
type cpuUse struct {
	Seconds       float64 `json:"seconds"`
	ServerCPU     float64 `json:"server_cpu_seconds,omitempty"`
	ServerUtil    float64 `json:"server_cpu_util,omitempty"`      // cores busy on average
	ServerSysPart float64 `json:"server_cpu_sys_share,omitempty"` // share of server CPU spent in the kernel
	ServerRSSMiB  float64 `json:"server_rss_mib,omitempty"`
	ServerPeakMiB float64 `json:"server_peak_rss_mib,omitempty"`
	ToolUtil      float64 `json:"tool_cpu_util"`
	// OtherUtil is the CPU the rest of the machine used meanwhile, in
	// cores: the noise a shared machine adds.
	OtherUtil float64 `json:"other_cpu_util"`
}

func (w cpuWindow) end() (cpuUse, error) {
	tool, err := procstat.Read(os.Getpid())
	if err != nil {
		return cpuUse{}, err
	}
	u := cpuUse{Seconds: tool.At.Sub(w.tool.At).Seconds()}
	u.ToolUtil = round3((tool.CPU - w.tool.CPU).Seconds() / u.Seconds)
	machine, err := procstat.ReadMachine()
	if err != nil {
		return cpuUse{}, err
	}
	other := (machine.Busy - w.machine.Busy - (tool.CPU - w.tool.CPU)).Seconds()
	if w.hasServer {
		s, _, err := w.t.sample()
		if err != nil {
			return cpuUse{}, err
		}
		elapsed := s.At.Sub(w.server.At).Seconds()
		u.ServerCPU = round3((s.CPU - w.server.CPU).Seconds())
		u.ServerUtil = round3(u.ServerCPU / elapsed)
		if u.ServerCPU > 0 {
			u.ServerSysPart = round3((s.Sys - w.server.Sys).Seconds() / u.ServerCPU)
		}
		u.ServerRSSMiB = mib(s.RSS)
		u.ServerPeakMiB = mib(s.Peak)
		other -= (s.CPU - w.server.CPU).Seconds()
	}
	u.OtherUtil = round3(max(other, 0) / machine.At.Sub(w.machine.At).Seconds())
	u.Seconds = round3(u.Seconds)
	return u, nil
}

func mib(b int64) float64 { return round3(float64(b) / (1 << 20)) }

func round3(v float64) float64 {
	if v < 0 {
		return -round3(-v)
	}
	return float64(int64(v*1000+0.5)) / 1000
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// stepResult is one run of publications at a fixed rate.
type stepResult struct {
	Rate             float64          `json:"rate"` // publications per second offered
	Subscribers      int64            `json:"subscribers"`
	OfferedPerSec    float64          `json:"offered_deliveries_per_sec"`
	DeliveredPerSec  float64          `json:"delivered_per_sec"` // received in the window
	DeliveredRatio   float64          `json:"delivered_ratio"`
	Latency          latency.Summary  `json:"latency"`     // intended send → received
	PublishAck       latency.Summary  `json:"publish_ack"` // intended send → acknowledged
	CPU              cpuUse           `json:"cpu"`
	CPUMsPer1000     float64          `json:"server_cpu_ms_per_1000_deliveries,omitempty"`
	DeliveriesPerCPU float64          `json:"deliveries_per_server_cpu_second,omitempty"`
	Published        int64            `json:"published"`
	PublishFailed    int64            `json:"publish_failed"`
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
func (b *broadcast) measure(ctx context.Context, rate float64, warmup, window time.Duration) (stepResult, error) {
	f, p := b.fleet, b.pub
	st := stepResult{Rate: rate, Subscribers: f.ready.Load()}
	st.OfferedPerSec = rate * float64(st.Subscribers)
	delivered0, acked0, failed0 := f.totalDelivered(), p.acked.Load(), p.failed.Load()
	gaps0, repeats0, ends0 := f.gaps.Load(), f.repeats.Load(), f.endCounts()
	p.backlog.Store(0)

	pubCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(pubCtx, rate, warmup+window)
	}()
	defer func() { cancel(); <-done }()

	if err := sleepCtx(ctx, warmup); err != nil {
		return st, err
	}
	rec, ack := &recorder{}, &latency.Histogram{}
	cpu, err := startCPU(b.t)
	if err != nil {
		return st, err
	}
	d0 := f.totalDelivered()
	f.rec.Store(rec)
	p.ack.Store(ack)
	if err := sleepCtx(ctx, window); err != nil {
		return st, err
	}
	f.rec.Store(nil)
	p.ack.Store(nil)
	d1 := f.totalDelivered()
	if st.CPU, err = cpu.end(); err != nil {
		return st, err
	}
	<-done
	sentAt := time.Now()

	// Drain: wait until every acknowledged publication reached every
	// subscriber, or nothing arrived for two seconds.
	want := delivered0 + (p.acked.Load()-acked0)*st.Subscribers
	lastN, lastAt := f.totalDelivered(), time.Now()
	for n := lastN; n < want && time.Since(lastAt) < 2*time.Second && time.Since(sentAt) < 60*time.Second; n = f.totalDelivered() {
		if n != lastN {
			lastN, lastAt = n, time.Now()
		}
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return st, err
		}
	}
	st.DrainMS = round3(float64(lastAt.Sub(sentAt)) / 1e6)
	st.Undelivered = max(want-f.totalDelivered(), 0)

	snap := rec.snapshot()
	st.Latency = snap.Summary()
	st.PublishAck = ack.Snapshot().Summary()
	st.DeliveredPerSec = round3(float64(d1-d0) / st.CPU.Seconds)
	if st.OfferedPerSec > 0 {
		st.DeliveredRatio = round3(st.DeliveredPerSec / st.OfferedPerSec)
	}
	if st.CPU.ServerCPU > 0 && d1 > d0 {
		st.CPUMsPer1000 = round3(st.CPU.ServerCPU * 1e3 / (float64(d1-d0) / 1000))
		st.DeliveriesPerCPU = round3(float64(d1-d0) / st.CPU.ServerCPU)
	}
	st.Published = p.acked.Load() - acked0
	st.PublishFailed = p.failed.Load() - failed0
	st.PublishBacklog = p.backlog.Load()
	st.Gaps, st.Repeats = f.gaps.Load()-gaps0, f.repeats.Load()-repeats0
	st.Ended = diffCounts(f.endCounts(), ends0)
	st.Disturbed = st.CPU.OtherUtil > b.maxOthers
	st.Pass, st.Why = b.judge(st)
	if !st.Pass && st.PublishBacklog > 0 {
		st.Why += " (publications waited for a free publisher: if the server kept up, raise --workers)"
	}
	return st, nil
}

// measureUndisturbed measures like measure, again (after a pause) while
// the rest of the machine used more than --max-others cores in the window
// and the result is one that noise can cause: a pass counts either way.
// After --disturbed-retries it returns the last result, marked disturbed.
func (b *broadcast) measureUndisturbed(ctx context.Context, rate float64, warmup, window time.Duration, passCounts bool) (stepResult, error) {
	for try := 0; ; try++ {
		st, err := b.measure(ctx, rate, warmup, window)
		if err != nil || !st.Disturbed || (passCounts && st.Pass) || try >= b.disturbedRetries {
			return st, err
		}
		b.log.Info("window disturbed by other work; measuring again", "rate", rate,
			"other_cores", st.CPU.OtherUtil, "max_others", b.maxOthers)
		if err := sleepCtx(ctx, 10*time.Second); err != nil {
			return st, err
		}
		if err := b.fleet.waitReady(ctx, b.subs, 2*time.Minute); err != nil {
			return st, err
		}
	}
}

// judge tells whether a step kept up: delivered ≥ the wanted share of what
// was offered, p99 within the bound, nothing failed, nobody disconnected.
func (b *broadcast) judge(st stepResult) (bool, string) {
	switch {
	case st.DeliveredRatio < b.minDelivered:
		return false, "delivered below the share of offered"
	case st.Latency.P99MS > float64(b.p99Bound)/1e6:
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

func diffCounts(now, before map[string]int64) map[string]int64 {
	out := make(map[string]int64)
	for k, v := range now {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}
