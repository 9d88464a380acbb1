package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// stormResult is the result line of the connect storm.
type stormResult struct {
	Scenario  string           `json:"scenario"`
	Key       string           `json:"key"`
	Target    string           `json:"target"`
	Label     string           `json:"label,omitempty"`
	Conns     int              `json:"conns"`
	Dialing   int              `json:"dialing"` // handshakes in flight at most, all processes
	Channel   string           `json:"channel"`
	Connected int64            `json:"connected"`
	Failed    int64            `json:"failed"`
	Failures  map[string]int64 `json:"failures,omitempty"`
	Seconds   float64          `json:"seconds"` // first dial → last subscribed
	PerSec    float64          `json:"connections_per_sec"`
	Setup     latency.Summary  `json:"setup"`   // dial → subscribe reply (handshake + connect + subscribe)
	Connect   latency.Summary  `json:"connect"` // dial → connect reply (handshake + connect)
	CPU       cpuUse           `json:"cpu"`
	// Server CPU per accepted connection, and connections per server
	// CPU-second.
	CPUMsPerConn  float64 `json:"server_cpu_ms_per_conn,omitempty"`
	ConnsPerCPU   float64 `json:"conns_per_server_cpu_second,omitempty"`
	ServerClients int64   `json:"server_clients"`
	StartedLateMS float64 `json:"started_late_ms,omitempty"` // a process dialled before the CPU was sampled
	TimedOut      bool    `json:"timed_out,omitempty"`
}

func runConnStorm(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	t := &target{stderr: stderr}
	var n, dialing int
	var channel string
	var timeout time.Duration
	fs := flag.NewFlagSet("liveroom-bench connect-storm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	t.register(fs)
	fs.IntVar(&n, "conns", 5000, "new connections, all started at once (each: handshake, connect, subscribe)")
	fs.IntVar(&dialing, "dialing", 1000, "handshakes in flight at most, over all tool processes")
	fs.StringVar(&channel, "channel", "", "channel every connection subscribes to (default: its own personal:<user>; a room with join/leave makes the storm quadratic)")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "give up waiting for the last connection after this")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if n < 1 || dialing < 1 {
		fmt.Fprintln(stderr, "liveroom-bench connect-storm: --conns and --dialing must be positive")
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
	cfg := fleetConfig{Layout: layoutPersonal, Dialing: dialing}
	if channel != "" {
		cfg.Layout, cfg.Channel = layoutChannel, channel
	}
	// Every process dials at the same instant, after the CPU is sampled.
	start := time.Now().Add(time.Second + time.Duration(t.procs)*300*time.Millisecond)
	cfg.StartNS = start.UnixNano()
	p, err := openPool(ctx, log, t, cfg, n)
	if err != nil {
		return err
	}
	defer p.close()
	if err := sleepCtx(ctx, time.Until(start)-20*time.Millisecond); err != nil {
		return err
	}
	cpu, err := startCPU(t, p.pids())
	if err != nil {
		return err
	}
	log.Info("connect storm", "conns", n, "target", t.name(), "procs", t.procs)
	res := stormResult{Scenario: "connect-storm", Target: t.name(), Label: t.label, Conns: n, Dialing: dialing, Channel: channel}
	if channel == "" {
		res.Channel = "personal:<user>"
	}
	deadline := time.Now().Add(timeout)
	var st poolStats
	for {
		if st, err = p.stats(ctx); err != nil {
			return err
		}
		res.Failed = 0
		for _, v := range st.Fails {
			res.Failed += v
		}
		if st.Ready+res.Failed >= int64(n) {
			break
		}
		if time.Now().After(deadline) {
			res.TimedOut = true
			break
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	if res.CPU, err = cpu.end(); err != nil {
		return err
	}
	res.Connected, res.Failures = st.Ready, st.Fails
	if st.FirstDialNS != 0 && st.FirstDialNS < cpu.machine.At.UnixNano() {
		res.StartedLateMS = round3(float64(cpu.machine.At.UnixNano()-st.FirstDialNS) / 1e6)
	}
	if st.LastReadyNS > st.FirstDialNS && st.FirstDialNS != 0 {
		res.Seconds = round3(float64(st.LastReadyNS-st.FirstDialNS) / 1e9)
		res.PerSec = round3(float64(st.Ready) / res.Seconds)
	}
	h, err := p.hists(ctx)
	if err != nil {
		return err
	}
	res.Setup, res.Connect = h.Setup.Summary(), h.Connect.Summary()
	if res.CPU.ServerCPU > 0 && st.Ready > 0 {
		res.CPUMsPerConn = round3(res.CPU.ServerCPU * 1e3 / float64(st.Ready))
		res.ConnsPerCPU = round3(float64(st.Ready) / res.CPU.ServerCPU)
	}
	if info, err := t.info(ctx); err == nil {
		res.ServerClients = info.Clients
	} else {
		log.Warn("no server counts", "err", err)
	}
	res.Key = fmt.Sprintf("connect-storm/%s/%d", res.Target, n)
	return writeResult(stdout, res, stormSummary(res))
}
