package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// pool is the connection side of a scenario: one agent in this process, or
// one in each of several child processes (--procs), merged.
type pool interface {
	stats(ctx context.Context) (poolStats, error)
	// window starts (on) or ends a latency window; ending returns the
	// publish-to-deliver histogram of the window.
	window(ctx context.Context, on bool) (poolStats, *latency.Snapshot, error)
	hists(ctx context.Context) (setupHists, error)
	drop(ctx context.Context) error
	publish(ctx context.Context, plan pubPlan) error
	losses(ctx context.Context, final uint64) (lossReport, error)
	pids() []int
	close()
}

// poolStats are the counters of all connections of a pool.
type poolStats struct {
	Conns        int64            `json:"conns"`
	Ready        int64            `json:"ready"`
	Delivered    int64            `json:"delivered"`
	Pings        int64            `json:"pings"`
	Gaps         int64            `json:"gaps"`
	Repeats      int64            `json:"repeats"`
	Pushes       int64            `json:"pushes"`
	Early        int64            `json:"early"`
	Sessions     int64            `json:"sessions"`
	Recovered    int64            `json:"recovered"`
	Unrecovered  int64            `json:"unrecovered"`
	EpochChanged int64            `json:"epoch_changed"`
	Resubscribed int64            `json:"resubscribed"`
	PubSent      int64            `json:"pub_sent"`
	PubAcked     int64            `json:"pub_acked"`
	PubFailed    int64            `json:"pub_failed"`
	PubActive    int64            `json:"pub_active"`
	FirstDialNS  int64            `json:"first_dial_ns"`
	LastReadyNS  int64            `json:"last_ready_ns"`
	Ends         map[string]int64 `json:"ends,omitempty"`
	Fails        map[string]int64 `json:"fails,omitempty"`
	PubErrs      map[string]int64 `json:"pub_errs,omitempty"`
}

// add sums o into s (first dial: the earliest; last ready: the latest).
func (s *poolStats) add(o poolStats) {
	s.Conns += o.Conns
	s.Ready += o.Ready
	s.Delivered += o.Delivered
	s.Pings += o.Pings
	s.Gaps += o.Gaps
	s.Repeats += o.Repeats
	s.Pushes += o.Pushes
	s.Early += o.Early
	s.Sessions += o.Sessions
	s.Recovered += o.Recovered
	s.Unrecovered += o.Unrecovered
	s.EpochChanged += o.EpochChanged
	s.Resubscribed += o.Resubscribed
	s.PubSent += o.PubSent
	s.PubAcked += o.PubAcked
	s.PubFailed += o.PubFailed
	s.PubActive += o.PubActive
	if o.FirstDialNS != 0 && (s.FirstDialNS == 0 || o.FirstDialNS < s.FirstDialNS) {
		s.FirstDialNS = o.FirstDialNS
	}
	s.LastReadyNS = max(s.LastReadyNS, o.LastReadyNS)
	s.Ends = addCounts(s.Ends, o.Ends)
	s.Fails = addCounts(s.Fails, o.Fails)
	s.PubErrs = addCounts(s.PubErrs, o.PubErrs)
}

func addCounts(into, from map[string]int64) map[string]int64 {
	if len(from) == 0 {
		return into
	}
	if into == nil {
		into = make(map[string]int64, len(from))
	}
	for k, v := range from {
		into[k] += v
	}
	return into
}

// setupHists are the connection set-up latencies since the start.
type setupHists struct {
	Setup   *latency.Snapshot `json:"setup"`   // dial → subscribed (first subscription of a session)
	Connect *latency.Snapshot `json:"connect"` // dial → connect reply
	Resub   *latency.Snapshot `json:"resub"`   // last drop → subscribed again
	// Lateness is how late member publications (rooms) left this tool:
	// the time of the write minus the scheduled time. It is the tool's own
	// share of every latency measured from the scheduled time.
	Lateness *latency.Snapshot `json:"lateness"`
}

func (h *setupHists) merge(o setupHists) {
	h.Setup.Merge(o.Setup)
	h.Connect.Merge(o.Connect)
	h.Resub.Merge(o.Resub)
	if o.Lateness != nil {
		h.Lateness.Merge(o.Lateness)
	}
}

// lossReport is what the subscribers missed or saw twice, per client.
type lossReport struct {
	Clients     int64 `json:"clients"`
	WithLoss    int64 `json:"clients_with_loss"`
	WithDup     int64 `json:"clients_with_duplicates"`
	Lost        int64 `json:"lost"`
	Dup         int64 `json:"duplicated"`
	MaxLost     int64 `json:"max_lost_per_client"`
	MaxDup      int64 `json:"max_duplicated_per_client"`
	BehindFinal int64 `json:"clients_behind_final"` // last offset below the last published one
}

func (r *lossReport) add(o lossReport) {
	r.Clients += o.Clients
	r.WithLoss += o.WithLoss
	r.WithDup += o.WithDup
	r.Lost += o.Lost
	r.Dup += o.Dup
	r.MaxLost = max(r.MaxLost, o.MaxLost)
	r.MaxDup = max(r.MaxDup, o.MaxDup)
	r.BehindFinal += o.BehindFinal
}

// openPool starts n connections laid out by cfg, in this process or split
// over --procs child processes.
func openPool(ctx context.Context, log *slog.Logger, t *target, cfg fleetConfig, n int) (pool, error) {
	cfg.LatencyLog = t.latencyLog
	if t.procs <= 1 {
		cfg.From, cfg.To = 0, n
		a, err := startAgent(ctx, log, agentSpec{Target: t.spec, Fleet: cfg})
		if err != nil {
			return nil, err
		}
		return localPool{a}, nil
	}
	return startProcPool(log, t, cfg, n)
}

// localPool is one agent in this process.
type localPool struct{ a *agent }

func (p localPool) stats(context.Context) (poolStats, error) { return p.a.stats(), nil }
func (p localPool) window(_ context.Context, on bool) (poolStats, *latency.Snapshot, error) {
	s, h := p.a.window(on)
	return s, h, nil
}
func (p localPool) hists(context.Context) (setupHists, error) { return p.a.hists(), nil }
func (p localPool) drop(context.Context) error                { p.a.drop(); return nil }
func (p localPool) publish(_ context.Context, plan pubPlan) error {
	return p.a.publish(plan)
}
func (p localPool) losses(_ context.Context, final uint64) (lossReport, error) {
	return p.a.losses(final), nil
}
func (p localPool) pids() []int { return []int{os.Getpid()} }
func (p localPool) close()      { p.a.close() }

// waitReady polls the pool until n connections are subscribed.
func waitReady(ctx context.Context, log *slog.Logger, p pool, n int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		st, err := p.stats(ctx)
		if err != nil {
			return err
		}
		if st.Ready >= int64(n) {
			return nil
		}
		if time.Since(last) >= 5*time.Second {
			log.Info("connecting", "subscribed", st.Ready, "of", n, "failed", counts(st.Fails), "ended", counts(st.Ends))
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d connections subscribed (failed: %s): %w", st.Ready, n, counts(st.Fails), ctx.Err())
		case <-tick.C:
		}
	}
}

// waitQuiet waits until the connections receive no other pushes for a
// second (up to a minute): the join pushes of a channel with join/leave on.
func waitQuiet(ctx context.Context, p pool) error {
	deadline := time.Now().Add(time.Minute)
	last := int64(-1)
	for time.Now().Before(deadline) {
		st, err := p.stats(ctx)
		if err != nil {
			return err
		}
		if st.Pushes == last {
			return nil
		}
		last = st.Pushes
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
	}
	return nil
}
