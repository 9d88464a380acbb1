package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"
)

// broadcast is the one-channel, many-subscribers scenario.
type broadcast struct {
	t     *target
	log   *slog.Logger
	fleet *fleet
	pub   *publisher

	subs         int
	channel      string
	rate         float64
	warmup       time.Duration
	duration     time.Duration
	findSat      bool
	rateStart    float64
	step         time.Duration
	p99Bound     time.Duration
	minDelivered float64
	retries      int

	maxOthers        float64
	disturbedRetries int
}

// broadcastResult is the result line of the scenario.
type broadcastResult struct {
	Scenario    string      `json:"scenario"`
	Key         string      `json:"key"`
	Mode        string      `json:"mode"` // "fixed" or "half-saturation"
	Subscribers int         `json:"subscribers"`
	Channel     string      `json:"channel"`
	Size        int         `json:"size"`
	Via         string      `json:"publish_via"`
	Saturation  *saturation `json:"saturation,omitempty"`
	stepResult
}

// saturation is what the search found.
type saturation struct {
	Rate            float64      `json:"rate"` // highest publications/s that kept up
	DeliveriesPerS  float64      `json:"deliveries_per_sec"`
	CPUMsPer1000    float64      `json:"server_cpu_ms_per_1000_deliveries,omitempty"`
	ServerCPUUtil   float64      `json:"server_cpu_util,omitempty"`
	ToolCPUUtil     float64      `json:"tool_cpu_util"`
	FirstFailedRate float64      `json:"first_failed_rate,omitempty"`
	Steps           []stepResult `json:"steps"`
}

func runBroadcast(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	b := &broadcast{log: log, t: &target{}}
	var pc pubConfig
	var connectRate float64
	var dialing int
	fs := flag.NewFlagSet("liveroom-bench broadcast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	b.t.register(fs)
	fs.IntVar(&b.subs, "subs", 1000, "subscribers of the channel")
	fs.StringVar(&b.channel, "channel", "room:bench", "the channel (its namespace needs history for offsets)")
	fs.Float64Var(&b.rate, "rate", 10, "publications per second (without --find-saturation)")
	fs.IntVar(&pc.Size, "size", 100, fmt.Sprintf("bytes of publication data (at least %d)", dataOverhead))
	fs.StringVar(&pc.Via, "publish-via", "api", "api: POST /api/publish from a pool of --workers; ws: one client connection, pipelined")
	fs.IntVar(&pc.Workers, "workers", 256, "API publish calls in flight at most (each waits for storage; under load an acknowledgement can take tens of ms, so rate × ack time must stay below this)")
	fs.DurationVar(&b.warmup, "warmup", 5*time.Second, "publishing before the measurement window")
	fs.DurationVar(&b.duration, "duration", 30*time.Second, "measurement window")
	fs.BoolVar(&b.findSat, "find-saturation", false, "ramp the rate to the highest that keeps up, then measure at half of it")
	fs.Float64Var(&b.rateStart, "rate-start", 10, "first rate of the saturation search")
	fs.DurationVar(&b.step, "step", 10*time.Second, "measurement window of each search step (after a 2 s warm-up)")
	fs.DurationVar(&b.p99Bound, "p99-bound", 250*time.Millisecond, "a search step keeps up only with p99 below this")
	fs.Float64Var(&b.minDelivered, "min-delivered", 0.99, "a search step keeps up only when this share of offered deliveries arrives")
	fs.IntVar(&b.retries, "retries", 1, "a failed search step is measured again this many times before it counts (a busy machine causes one-off spikes)")
	fs.Float64Var(&b.maxOthers, "max-others", 0.25, "a window in which the rest of the machine used more CPU than this (cores) is disturbed: a failed search step or the final measurement is taken again")
	fs.IntVar(&b.disturbedRetries, "disturbed-retries", 5, "how many times a disturbed window is taken again (10 s apart)")
	fs.Float64Var(&connectRate, "connect-rate", 2000, "new connections per second")
	fs.IntVar(&dialing, "dialing", 256, "handshakes in flight at most")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if err := b.t.resolve(); err != nil {
		return err
	}
	stopProfile, err := b.t.profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	if b.subs < 1 || b.rate <= 0 || b.rateStart <= 0 || pc.Size < dataOverhead {
		fmt.Fprintln(stderr, "liveroom-bench broadcast: --subs, --rate and --rate-start must be positive, --size at least", dataOverhead)
		return errUsage
	}
	pc.Channel = b.channel

	b.fleet = startFleet(ctx, log, b.t, fleetConfig{
		N:           b.subs,
		User:        func(i int) string { return fmt.Sprintf("bench-%d", i) },
		Channel:     func(int) string { return b.channel },
		ConnectRate: connectRate, Dialing: dialing, Reconnect: true,
	})
	defer b.fleet.stop()
	log.Info("connecting subscribers", "n", b.subs, "channel", b.channel)
	if err := b.fleet.waitReady(ctx, b.subs, 10*time.Minute); err != nil {
		return err
	}
	// Let join pushes and connection set-up work die down.
	if err := b.waitQuiet(ctx); err != nil {
		return err
	}
	if b.pub, err = newPublisher(ctx, log, b.t, pc); err != nil {
		return err
	}
	defer b.pub.close()

	res := broadcastResult{Scenario: "broadcast", Mode: "fixed", Subscribers: b.subs,
		Channel: b.channel, Size: pc.Size, Via: pc.Via}
	rate := b.rate
	if b.findSat {
		sat, err := b.findSaturation(ctx)
		if err != nil {
			return err
		}
		res.Saturation, res.Mode = sat, "half-saturation"
		rate = sat.Rate / 2
		if err := b.fleet.waitReady(ctx, b.subs, 2*time.Minute); err != nil {
			return err
		}
	}
	log.Info("measuring", "rate", rate, "window", b.duration)
	if res.stepResult, err = b.measureUndisturbed(ctx, rate, b.warmup, b.duration, false); err != nil {
		return err
	}
	res.Key = fmt.Sprintf("broadcast/%s/%d", res.Mode, b.subs)
	return writeResult(stdout, res, broadcastSummary(res))
}

// waitQuiet waits until the connections receive nothing for a second (up
// to a minute): the join pushes of a channel with join/leave on.
func (b *broadcast) waitQuiet(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	last := b.fleet.pushes.Load()
	for time.Now().Before(deadline) {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		n := b.fleet.pushes.Load()
		if n == last {
			return nil
		}
		last = n
	}
	return nil
}

// findSaturation doubles the rate until a step fails to keep up, then
// narrows the bracket to within 10 %.
func (b *broadcast) findSaturation(ctx context.Context) (*saturation, error) {
	sat := &saturation{}
	var lo, hi float64
	var best stepResult
	rate := b.rateStart
	for range 16 {
		if err := b.fleet.waitReady(ctx, b.subs, 2*time.Minute); err != nil {
			return nil, err
		}
		var st stepResult
		for try := 0; try <= b.retries && !st.Pass; try++ {
			if try > 0 {
				if err := b.fleet.waitReady(ctx, b.subs, 2*time.Minute); err != nil {
					return nil, err
				}
			}
			var err error
			if st, err = b.measureUndisturbed(ctx, rate, 2*time.Second, b.step, true); err != nil {
				return nil, err
			}
			sat.Steps = append(sat.Steps, st)
			b.log.Info("saturation step", "rate", rate, "pass", st.Pass, "why", st.Why,
				"delivered_ratio", st.DeliveredRatio, "p50_ms", st.Latency.P50MS, "p99_ms", st.Latency.P99MS,
				"server_cpu", st.CPU.ServerUtil, "tool_cpu", st.CPU.ToolUtil, "others_cpu", st.CPU.OtherUtil)
		}
		if st.Pass {
			lo, best = rate, st
		} else {
			hi = rate
		}
		switch {
		case hi == 0:
			rate *= 2
		case lo == 0:
			rate /= 2
			if rate < 0.5 {
				return nil, fmt.Errorf("no rate down to %v/s keeps up: %s", rate*2, st.Why)
			}
		case hi/lo <= 1.1:
			sat.Rate = lo
			sat.FirstFailedRate = hi
			sat.DeliveriesPerS = best.DeliveredPerSec
			sat.CPUMsPer1000 = best.CPUMsPer1000
			sat.ServerCPUUtil = best.CPU.ServerUtil
			sat.ToolCPUUtil = best.CPU.ToolUtil
			return sat, nil
		default:
			rate = math.Round(math.Sqrt(lo*hi)*10) / 10
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("saturation search did not converge: kept up at %v/s, not at %v/s", lo, hi)
}
