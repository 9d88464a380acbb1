package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// broadcastResult is the result line of the broadcast scenario.
type broadcastResult struct {
	Scenario    string      `json:"scenario"`
	Key         string      `json:"key"`
	Target      string      `json:"target"`
	Label       string      `json:"label,omitempty"`
	Mode        string      `json:"mode"` // "fixed", "half-saturation" or "saturation" (search only)
	Subscribers int         `json:"subscribers_wanted"`
	Channel     string      `json:"channel"`
	Size        int         `json:"size"`
	Via         string      `json:"publish_via"`
	Saturation  *saturation `json:"saturation,omitempty"`
	stepResult
}

func runBroadcast(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	t := &target{stderr: stderr}
	l := &load{t: t, log: log}
	var pc pubConfig
	var subs, dialing int
	var channel string
	var connectRate, rate float64
	var warmup, duration time.Duration
	var findSat, searchOnly bool
	fs := flag.NewFlagSet("liveroom-bench broadcast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	t.register(fs)
	l.register(fs)
	fs.IntVar(&subs, "subs", 1000, "subscribers of the channel")
	fs.StringVar(&channel, "channel", "room:bench", "the channel (its namespace needs history for offsets)")
	fs.Float64Var(&rate, "rate", 10, "publications per second (without --find-saturation)")
	fs.IntVar(&pc.Size, "size", 100, fmt.Sprintf("bytes of publication data (at least %d)", dataOverhead))
	fs.StringVar(&pc.Via, "publish-via", "api", "api: POST /api/publish from a pool of --workers; ws: one client connection, pipelined (liveroom, centrifuge)")
	fs.IntVar(&pc.Workers, "workers", 256, "API publish calls in flight at most (each waits for storage; under load an acknowledgement can take tens of ms, so rate × ack time must stay below this)")
	fs.DurationVar(&warmup, "warmup", 5*time.Second, "publishing before the measurement window")
	fs.DurationVar(&duration, "duration", 30*time.Second, "measurement window")
	fs.BoolVar(&findSat, "find-saturation", false, "ramp the rate to the highest that keeps up, then measure at half of it")
	fs.BoolVar(&searchOnly, "search-only", false, "with --find-saturation: stop after the search (no window at half of it)")
	fs.Float64Var(&connectRate, "connect-rate", 2000, "new connections per second")
	fs.IntVar(&dialing, "dialing", 256, "handshakes in flight at most")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if subs < 1 || rate <= 0 || l.rateStart <= 0 || pc.Size < dataOverhead {
		fmt.Fprintln(stderr, "liveroom-bench broadcast: --subs, --rate and --rate-start must be positive, --size at least", dataOverhead)
		return errUsage
	}
	if err := t.resolve(); err != nil {
		return err
	}
	stopProfile, err := t.profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	pc.ChannelOf = func(int64) string { return channel }

	if l.pool, err = openPool(ctx, log, t, fleetConfig{
		Layout: layoutChannel, Channel: channel,
		ConnectRate: connectRate, Dialing: dialing, Reconnect: true,
	}, subs); err != nil {
		return err
	}
	defer l.pool.close()
	l.want = subs
	l.fanout = func(ready int64) float64 { return float64(ready) }
	log.Info("connecting subscribers", "n", subs, "channel", channel, "target", t.name())
	if err := waitReady(ctx, log, l.pool, subs, 10*time.Minute); err != nil {
		return err
	}
	// Let join pushes and connection set-up work die down.
	if err := waitQuiet(ctx, l.pool); err != nil {
		return err
	}
	pub, err := newPublisher(ctx, log, t, pc)
	if err != nil {
		return err
	}
	defer pub.close()
	l.drv = pub

	res := broadcastResult{Scenario: "broadcast", Target: t.name(), Label: t.label, Mode: "fixed",
		Subscribers: subs, Channel: channel, Size: pc.Size, Via: pc.Via}
	if findSat {
		sat, err := l.findSaturation(ctx)
		if err != nil {
			return err
		}
		res.Saturation, res.Mode = sat, "half-saturation"
		rate = sat.Rate / 2
		if searchOnly {
			res.Mode = "saturation"
			res.Key = broadcastKey(res)
			return writeResult(stdout, res, broadcastSummary(res))
		}
		if err := waitReady(ctx, log, l.pool, subs, 2*time.Minute); err != nil {
			return err
		}
	}
	log.Info("measuring", "rate", rate, "window", duration)
	if res.stepResult, err = l.measureUndisturbed(ctx, rate, warmup, duration, false); err != nil {
		return err
	}
	res.Key = broadcastKey(res)
	return writeResult(stdout, res, broadcastSummary(res))
}

func broadcastKey(r broadcastResult) string {
	return fmt.Sprintf("broadcast/%s/%s/%s/%d", r.Target, r.Channel, r.Mode, r.Subscribers)
}
