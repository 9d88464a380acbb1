package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// reconnectResult is the result line of the reconnect storm.
type reconnectResult struct {
	Scenario string  `json:"scenario"`
	Key      string  `json:"key"`
	Target   string  `json:"target"`
	Label    string  `json:"label,omitempty"`
	Subs     int     `json:"subscribers"`
	Channel  string  `json:"channel"`
	Rate     float64 `json:"rate"` // publications per second, all along
	SpreadMS float64 `json:"reconnect_spread_ms"`
	Dropped  int64   `json:"dropped"`
	// AllBackSeconds: from the drop until every subscriber was subscribed
	// again (0 when some never were: see Resubscribed).
	AllBackSeconds float64         `json:"all_resubscribed_seconds"`
	Resubscribed   int64           `json:"resubscribed"`
	Resub          latency.Summary `json:"resubscribe"` // drop → subscribe reply, per client
	// Recovered and NotRecovered count subscribe replies that tried to
	// recover (centrifuge protocol); Socket.IO has no recovery.
	Recovered    int64            `json:"recovered_true"`
	NotRecovered int64            `json:"recovered_false"`
	EpochChanged int64            `json:"epoch_changed"`
	Early        int64            `json:"publications_before_subscribe_reply"`
	Loss         lossReport       `json:"loss"`
	Published    int64            `json:"published"`
	FinalOffset  uint64           `json:"final_offset"`
	PubFailed    int64            `json:"publish_failed"`
	Latency      latency.Summary  `json:"latency"` // deliveries from the drop to the end, recovered ones included
	Failures     map[string]int64 `json:"failures,omitempty"`
	Ended        map[string]int64 `json:"sessions_ended,omitempty"`
	CPU          cpuUse           `json:"cpu"` // the drop → every subscriber back
	Undelivered  int64            `json:"undelivered"`
	DrainMS      int64            `json:"drain_ms"` // from publishing stopped to every client at the top (or giving up)
	TimedOut     bool             `json:"timed_out,omitempty"`
}

func runReconnect(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	t := &target{stderr: stderr}
	var subs, dialing, workers, size int
	var channel string
	var rate, connectRate float64
	var warmup, after, spread, timeout time.Duration
	fs := flag.NewFlagSet("liveroom-bench reconnect-storm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	t.register(fs)
	fs.IntVar(&subs, "subs", 5000, "subscribers of the channel, all dropped at once")
	fs.StringVar(&channel, "channel", "room:storm", "the channel (history and recovery on for the centrifuge protocol)")
	fs.Float64Var(&rate, "rate", 10, "publications per second through the API, before, during and after the storm")
	fs.IntVar(&size, "size", 100, fmt.Sprintf("bytes of publication data (at least %d)", dataOverhead))
	fs.IntVar(&workers, "workers", 64, "API publish calls in flight at most")
	fs.DurationVar(&warmup, "warmup", 5*time.Second, "publishing before the drop")
	fs.DurationVar(&after, "after", 5*time.Second, "publishing after every subscriber is back")
	fs.DurationVar(&spread, "reconnect-spread", 0, "each client waits a random time below this before reconnecting (0: all at once)")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "give up waiting for every subscriber to come back after this")
	fs.Float64Var(&connectRate, "connect-rate", 2000, "new connections per second before the storm (after the drop: no limit but --dialing)")
	fs.IntVar(&dialing, "dialing", 1000, "handshakes in flight at most, over all tool processes")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if subs < 1 || rate <= 0 || size < dataOverhead {
		fmt.Fprintln(stderr, "liveroom-bench reconnect-storm: --subs and --rate must be positive, --size at least", dataOverhead)
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
	p, err := openPool(ctx, log, t, fleetConfig{
		Layout: layoutChannel, Channel: channel, ConnectRate: connectRate, Dialing: dialing,
		Reconnect: true, Recover: true, SpreadNS: int64(spread),
	}, subs)
	if err != nil {
		return err
	}
	defer p.close()
	log.Info("connecting subscribers", "n", subs, "channel", channel, "target", t.name())
	if err := waitReady(ctx, log, p, subs, 10*time.Minute); err != nil {
		return err
	}
	if err := waitQuiet(ctx, p); err != nil {
		return err
	}
	pub, err := newPublisher(ctx, log, t, pubConfig{Via: "api", Size: size, Workers: workers,
		ChannelOf: func(int64) string { return channel }})
	if err != nil {
		return err
	}
	defer pub.close()

	res := reconnectResult{Scenario: "reconnect-storm", Target: t.name(), Label: t.label, Subs: subs,
		Channel: channel, Rate: rate, SpreadMS: float64(spread) / 1e6}
	base, err := p.stats(ctx)
	if err != nil {
		return err
	}
	stopPub := make(chan struct{})
	pubDone := make(chan error, 1)
	go func() { pubDone <- pub.run(ctx, stopPub, rate, 24*time.Hour) }()
	stopped := false
	stopPublishing := func() error {
		if stopped {
			return nil
		}
		stopped = true
		close(stopPub)
		return <-pubDone
	}
	defer func() { _ = stopPublishing() }()

	if err := sleepCtx(ctx, warmup); err != nil {
		return err
	}
	if _, _, err := p.window(ctx, true); err != nil {
		return err
	}
	cpu, err := startCPU(t, p.pids())
	if err != nil {
		return err
	}
	dropAt := time.Now()
	log.Info("dropping every connection")
	if err := p.drop(ctx); err != nil {
		return err
	}
	res.Dropped = int64(subs)
	var st poolStats
	lastLog := time.Now()
	for {
		if st, err = p.stats(ctx); err != nil {
			return err
		}
		if st.Resubscribed >= int64(subs) {
			res.AllBackSeconds = round3(float64(st.LastReadyNS-dropAt.UnixNano()) / 1e9)
			break
		}
		if time.Since(dropAt) > timeout {
			res.TimedOut = true
			break
		}
		if time.Since(lastLog) > 5*time.Second {
			log.Info("coming back", "resubscribed", st.Resubscribed, "of", subs, "failed", counts(st.Fails))
			lastLog = time.Now()
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	if res.CPU, err = cpu.end(); err != nil {
		return err
	}
	log.Info("all back; publishing on", "after", after, "seconds", res.AllBackSeconds)
	if err := sleepCtx(ctx, after); err != nil {
		return err
	}
	if err := stopPublishing(); err != nil {
		return err
	}
	c, err := pub.counters(ctx)
	if err != nil {
		return err
	}
	res.Published, res.FinalOffset, res.PubFailed = c.Acked, c.MaxOffset, c.Failed
	// The channel's stored top, not only the highest offset answered: a
	// publish in flight when publishing stopped is stored but was never
	// answered to the tool, and its subscribers receive it all the same.
	if top, err := channelTop(ctx, t, pub.http, channel); err == nil {
		res.FinalOffset = max(res.FinalOffset, top)
	} else {
		log.Warn("could not read the channel's top; judging by the highest answered offset", "err", err)
	}

	// Drain: every subscriber should now reach the channel's top, each
	// publication once. A storm leaves the server seconds behind, so the
	// drain waits while deliveries still arrive (10 s without one ends it).
	want := base.Delivered + c.Acked*int64(subs)
	drainStart := time.Now()
	lastN, lastAt := int64(-1), time.Now()
	for time.Since(lastAt) < 10*time.Second && time.Since(drainStart) < 2*time.Minute {
		loss, err := p.losses(ctx, res.FinalOffset)
		if err != nil {
			return err
		}
		if loss.BehindFinal == 0 && st.Delivered >= want {
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
		if st, err = p.stats(ctx); err != nil {
			return err
		}
		if st.Delivered != lastN {
			lastN, lastAt = st.Delivered, time.Now()
		}
	}
	res.DrainMS = time.Since(drainStart).Milliseconds()
	res.Undelivered = max(want-st.Delivered, 0)
	_, hist, err := p.window(ctx, false)
	if err != nil {
		return err
	}
	res.Latency = hist.Summary()
	h, err := p.hists(ctx)
	if err != nil {
		return err
	}
	res.Resub = h.Resub.Summary()
	res.Resubscribed, res.Recovered, res.NotRecovered = st.Resubscribed, st.Recovered, st.Unrecovered
	res.EpochChanged, res.Early = st.EpochChanged, st.Early
	res.Failures, res.Ended = st.Fails, st.Ends
	if res.Loss, err = p.losses(ctx, res.FinalOffset); err != nil {
		return err
	}
	res.Key = fmt.Sprintf("reconnect-storm/%s/%s/%d", res.Target, channel, subs)
	return writeResult(stdout, res, reconnectSummary(res))
}

// channelTop reads a channel's newest offset through the server API's
// history method (limit 0 returns only the position).
func channelTop(ctx context.Context, t *target, c *http.Client, channel string) (uint64, error) {
	body, err := json.Marshal(map[string]any{"channel": channel, "limit": 0})
	if err != nil {
		return 0, err
	}
	var ans struct {
		Offset uint64 `json:"offset"`
	}
	if err := t.api(ctx, c, "history", body, &ans); err != nil {
		return 0, err
	}
	return ans.Offset, nil
}
