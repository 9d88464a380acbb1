package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"syscall"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// agentSpec is what an agent needs: how to reach the server and which
// connections to hold.
type agentSpec struct {
	Target targetSpec  `json:"target"`
	Fleet  fleetConfig `json:"fleet"`
}

// agent holds the connections of one process and does what the scenario
// asks of them. The parent drives it directly (one process) or through the
// request loop of runAgent (child processes).
type agent struct {
	log    *slog.Logger
	f      *fleet
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // member publishing schedules

	windows int // measurement windows ended (window's caller serialises them)
}

// fdReserve is the descriptors a process keeps for other than connections.
const fdReserve = 200

func startAgent(ctx context.Context, log *slog.Logger, spec agentSpec) (*agent, error) {
	t, err := fromSpec(spec.Target)
	if err != nil {
		return nil, err
	}
	n := spec.Fleet.To - spec.Fleet.From
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && uint64(n+fdReserve) > lim.Cur {
		return nil, fmt.Errorf("%d connections need more than this process's open file limit (%d, %d kept for other use): use --procs", n, lim.Cur, fdReserve)
	}
	if spec.Fleet.Layout == layoutRooms && spec.Fleet.Members < 1 {
		return nil, errors.New("rooms layout without members")
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &agent{log: log, ctx: ctx, cancel: cancel}
	a.f = startFleet(ctx, log, t, spec.Fleet)
	return a, nil
}

func (a *agent) stats() poolStats {
	f := a.f
	ends, fails, pubErrs := f.counts()
	return poolStats{
		Conns: int64(len(f.subs)), Ready: f.ready.Load(), Delivered: f.totalDelivered(),
		Pings: f.pings.Load(), Gaps: f.gaps.Load(), Repeats: f.repeats.Load(), Pushes: f.pushes.Load(),
		Early: f.early.Load(), Sessions: f.sessions.Load(),
		Recovered: f.recovered.Load(), Unrecovered: f.unrecovered.Load(),
		EpochChanged: f.epochChanged.Load(), Resubscribed: f.resubscribed.Load(),
		PubSent: f.pubSent.Load(), PubAcked: f.pubAcked.Load(), PubFailed: f.pubFailed.Load(),
		PubActive: f.pubActive.Load(), FirstDialNS: f.firstDial.Load(), LastReadyNS: f.lastReady.Load(),
		Ends: ends, Fails: fails, PubErrs: pubErrs,
	}
}

// window starts a latency window (on) or ends it and returns its histogram.
func (a *agent) window(on bool) (poolStats, *latency.Snapshot) {
	if on {
		rec := &recorder{}
		if a.f.cfg.LatencyLog != "" {
			rec.log = &deliveryLog{}
		}
		a.f.rec.Store(rec)
		return a.stats(), nil
	}
	rec := a.f.rec.Swap(nil)
	st := a.stats()
	if rec == nil {
		return st, &latency.Snapshot{}
	}
	if rec.log != nil {
		path := latencyLogPath(a.f.cfg.LatencyLog, a.f.cfg.Index, a.windows)
		if n, err := rec.log.write(path); err != nil {
			a.log.Warn("latency log not written", "err", err)
		} else {
			a.log.Info("latency log written", "file", path, "deliveries", n)
		}
	}
	a.windows++
	return st, rec.snapshot()
}

func (a *agent) hists() setupHists {
	return setupHists{Setup: a.f.setupHist.Snapshot(), Connect: a.f.connectHist.Snapshot(), Resub: a.f.resubHist.Snapshot(), Lateness: a.f.lateHist.Snapshot()}
}

func (a *agent) drop() {
	n := a.f.drop()
	a.log.Info("dropped connections", "n", n)
}

// losses reports, per subscriber, publications skipped or seen twice, and
// those after its last offset up to final (the last one published).
func (a *agent) losses(final uint64) lossReport {
	var r lossReport
	for _, s := range a.f.subs {
		lost, dup := s.lost.Load(), s.dup.Load()
		if last := s.last.Load(); final > last {
			lost += int64(final - last)
			r.BehindFinal++
		}
		r.Clients++
		if lost > 0 {
			r.WithLoss++
		}
		if dup > 0 {
			r.WithDup++
		}
		r.Lost += lost
		r.Dup += dup
		r.MaxLost = max(r.MaxLost, lost)
		r.MaxDup = max(r.MaxDup, dup)
	}
	return r
}

func (a *agent) close() {
	a.cancel()
	a.wg.Wait()
	a.f.stop()
}

// agentRequest is one line the parent sends a child agent.
type agentRequest struct {
	Op    string     `json:"op"` // start, stats, window, hists, drop, publish, losses, close
	Spec  *agentSpec `json:"spec,omitempty"`
	On    bool       `json:"on,omitempty"`
	Plan  *pubPlan   `json:"plan,omitempty"`
	Final uint64     `json:"final,omitempty"`
}

// agentReply is the child's answer line.
type agentReply struct {
	Err   string            `json:"err,omitempty"`
	Stats *poolStats        `json:"stats,omitempty"`
	Hist  *latency.Snapshot `json:"hist,omitempty"`
	Hists *setupHists       `json:"hists,omitempty"`
	Loss  *lossReport       `json:"loss,omitempty"`
}

// runAgent is a child process: it reads requests on stdin, one per line,
// and answers each on stdout, until "close" or the end of stdin (the parent
// went away), then closes every connection.
func runAgent(ctx context.Context, log *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 16<<20)
	out := json.NewEncoder(stdout)
	var a *agent
	defer func() {
		if a != nil {
			a.close()
		}
	}()
	for in.Scan() {
		var req agentRequest
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			return fmt.Errorf("agent: request: %w", err)
		}
		var rep agentReply
		switch {
		case req.Op == "start" && a == nil && req.Spec != nil:
			var err error
			if a, err = startAgent(ctx, log.With("agent", req.Spec.Fleet.Index), *req.Spec); err != nil {
				rep.Err = err.Error()
			}
		case a == nil:
			rep.Err = "agent: not started"
		case req.Op == "stats":
			st := a.stats()
			rep.Stats = &st
		case req.Op == "window":
			st, h := a.window(req.On)
			rep.Stats, rep.Hist = &st, h
		case req.Op == "hists":
			h := a.hists()
			rep.Hists = &h
		case req.Op == "drop":
			a.drop()
		case req.Op == "publish" && req.Plan != nil:
			if err := a.publish(*req.Plan); err != nil {
				rep.Err = err.Error()
			}
		case req.Op == "losses":
			l := a.losses(req.Final)
			rep.Loss = &l
		case req.Op == "close":
			a.close()
			a = nil
			return out.Encode(rep)
		default:
			rep.Err = fmt.Sprintf("agent: unknown request %q", req.Op)
		}
		if err := out.Encode(rep); err != nil {
			return fmt.Errorf("agent: reply: %w", err)
		}
	}
	return in.Err()
}
