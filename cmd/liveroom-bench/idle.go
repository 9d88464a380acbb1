package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// idleResult is the result line of the idle scenario.
type idleResult struct {
	Scenario       string       `json:"scenario"`
	Key            string       `json:"key"`
	Target         string       `json:"target"`
	Label          string       `json:"label,omitempty"`
	Conns          int          `json:"conns"`
	ConnectSeconds float64      `json:"connect_seconds"`
	BaselineMiB    float64      `json:"server_rss_baseline_mib,omitempty"`
	SettledMiB     float64      `json:"server_rss_settled_mib,omitempty"`
	EndMiB         float64      `json:"server_rss_end_mib,omitempty"`
	KiBPerConn     float64      `json:"server_rss_kib_per_conn,omitempty"`
	Heap           *heapReading `json:"go_heap,omitempty"`
	HeapBase       *heapReading `json:"go_heap_baseline,omitempty"`
	// HeapBaseDuringConnect: the server had not collected before the
	// connections began, so the baseline is its first collection during them.
	HeapBaseDuringConnect bool             `json:"go_heap_baseline_during_connect,omitempty"`
	HeapKiBPerConn        float64          `json:"go_heap_kib_per_conn,omitempty"`
	Idle                  cpuUse           `json:"idle"`
	CPUMsPerSec1K         float64          `json:"server_cpu_ms_per_sec_per_1000_conns,omitempty"`
	Pings                 int64            `json:"pings_answered"`
	ServerClients         int64            `json:"server_clients"`
	ServerSubs            int64            `json:"server_subscriptions"`
	Ended                 map[string]int64 `json:"sessions_ended,omitempty"`
	Failed                map[string]int64 `json:"sessions_failed,omitempty"`
}

func runIdle(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	t := &target{stderr: stderr}
	var n, dialing int
	var connectRate float64
	var settle, window, heapWait time.Duration
	fs := flag.NewFlagSet("liveroom-bench idle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	t.register(fs)
	fs.IntVar(&n, "conns", 1000, "connections, each subscribed to its own personal:<user> channel")
	fs.Float64Var(&connectRate, "connect-rate", 2000, "new connections per second")
	fs.IntVar(&dialing, "dialing", 256, "handshakes in flight at most")
	fs.DurationVar(&settle, "settle", 15*time.Second, "wait after the last connection before reading memory")
	fs.DurationVar(&window, "window", 30*time.Second, "idle window over which server CPU is measured (longer than the ping interval)")
	fs.DurationVar(&heapWait, "heap-wait", 0, "with --server-log, wait up to this long for a GC after all connected (the runtime forces one every 2 minutes)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if n < 1 {
		fmt.Fprintln(stderr, "liveroom-bench idle: --conns must be positive")
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
	res := idleResult{Scenario: "idle", Key: fmt.Sprintf("idle/%s/%d", t.name(), n), Target: t.name(), Label: t.label, Conns: n}
	base, hasServer, err := t.sample()
	if err != nil {
		return err
	}
	res.BaselineMiB = mib(base.RSS)
	startMark := logSize(t.serverLog)

	start := time.Now()
	p, err := openPool(ctx, log, t, fleetConfig{
		Layout: layoutPersonal, ConnectRate: connectRate, Dialing: dialing, Reconnect: true, ReadBuffer: 512,
	}, n)
	if err != nil {
		return err
	}
	defer p.close()
	log.Info("connecting", "n", n, "target", t.name())
	if err := waitReady(ctx, log, p, n, 10*time.Minute); err != nil {
		return err
	}
	res.ConnectSeconds = round3(time.Since(start).Seconds())
	logMark := logSize(t.serverLog)
	log.Info("all subscribed; settling", "seconds", res.ConnectSeconds, "settle", settle)
	if err := sleepCtx(ctx, settle); err != nil {
		return err
	}
	if hasServer {
		s, _, err := t.sample()
		if err != nil {
			return err
		}
		res.SettledMiB = mib(s.RSS)
		res.KiBPerConn = round3(float64(s.RSS-base.RSS) / 1024 / float64(n))
	}

	log.Info("measuring idle CPU", "window", window)
	st0, err := p.stats(ctx)
	if err != nil {
		return err
	}
	cpu, err := startCPU(t, p.pids())
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, window); err != nil {
		return err
	}
	if res.Idle, err = cpu.end(); err != nil {
		return err
	}
	res.EndMiB = res.Idle.ServerRSSMiB
	st1, err := p.stats(ctx)
	if err != nil {
		return err
	}
	res.Pings = st1.Pings - st0.Pings
	if res.Idle.ServerCPU > 0 {
		res.CPUMsPerSec1K = round3(res.Idle.ServerCPU * 1e3 / res.Idle.Seconds / (float64(n) / 1000))
	}
	if t.serverLog != "" {
		if res.Heap, err = waitHeap(ctx, t.serverLog, logMark, heapWait); err != nil {
			log.Warn("no Go heap reading", "err", err)
		}
		res.HeapBase, res.HeapBaseDuringConnect = baselineHeap(t.serverLog, startMark)
		if res.Heap != nil && res.HeapBase != nil {
			res.HeapKiBPerConn = round3(float64(res.Heap.LiveMB-res.HeapBase.LiveMB) * 1024 / float64(n))
		}
	}
	info, err := t.info(ctx)
	if err != nil {
		return err
	}
	res.ServerClients, res.ServerSubs = info.Clients, info.Subscriptions
	res.Ended, res.Failed = st1.Ends, st1.Fails
	return writeResult(stdout, res, idleSummary(res))
}
