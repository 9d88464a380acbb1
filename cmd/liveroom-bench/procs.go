package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// agentEnv marks a child process started for --procs: it runs the agent
// loop whatever its arguments (so a test binary can be a child too).
const agentEnv = "LIVEROOM_BENCH_AGENT"

// child is one agent process and the pipe to it; requests are one at a
// time.
type child struct {
	idx  int
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	mu   sync.Mutex // one request in flight
	done chan error // the process's exit, once
}

func (c *child) call(req agentRequest) (agentReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line, err := json.Marshal(req)
	if err != nil {
		return agentReply{}, err
	}
	if _, err := c.in.Write(append(line, '\n')); err != nil {
		return agentReply{}, fmt.Errorf("agent %d: %s: %w", c.idx, req.Op, err)
	}
	if !c.out.Scan() {
		return agentReply{}, fmt.Errorf("agent %d: %s: no answer (%v)", c.idx, req.Op, c.out.Err())
	}
	var rep agentReply
	if err := json.Unmarshal(c.out.Bytes(), &rep); err != nil {
		return agentReply{}, fmt.Errorf("agent %d: %s: %w", c.idx, req.Op, err)
	}
	if rep.Err != "" {
		return rep, fmt.Errorf("agent %d: %s: %s", c.idx, req.Op, rep.Err)
	}
	return rep, nil
}

// stop asks the agent to close its connections, then makes sure the
// process is gone: killed when it does not exit in time.
func (c *child) stop() {
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		_, _ = c.call(agentRequest{Op: "close"})
	}()
	select {
	case <-answered:
	case <-time.After(60 * time.Second):
	}
	_ = c.in.Close()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	<-answered // the pipe is closed or the process dead: the call has returned
}

// procPool is one agent per child process.
type procPool struct {
	log      *slog.Logger
	children []*child
}

// startProcPool starts --procs children, each with its share of the n
// connections, of the connect rate and of the handshakes in flight, and its
// own source addresses. They are stopped by close (or die with this
// process), not by a context.
func startProcPool(log *slog.Logger, t *target, cfg fleetConfig, n int) (*procPool, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("--procs: %w", err)
	}
	k := t.procs
	p := &procPool{log: log}
	for c := range k {
		cc := cfg
		cc.Index, cc.From, cc.To = c, c*n/k, (c+1)*n/k
		cc.ConnectRate = cfg.ConnectRate / float64(k)
		cc.Dialing = max(cfg.Dialing/k, 1)
		spec := t.spec
		if spec.SrcCount > 0 {
			spec.SrcFirst += c * spec.SrcCount
		}
		ch, err := spawn(exe, c, t.stderr)
		if err == nil {
			p.children = append(p.children, ch)
			_, err = ch.call(agentRequest{Op: "start", Spec: &agentSpec{Target: spec, Fleet: cc}})
		}
		if err != nil {
			p.close()
			return nil, err
		}
	}
	log.Info("tool processes started", "procs", k, "connections", n)
	return p, nil
}

func spawn(exe string, idx int, stderr io.Writer) (*child, error) {
	cmd := exec.Command(exe, "agent")
	cmd.Env = append(os.Environ(), agentEnv+"=1")
	cmd.Stderr = stderr
	// Killed with the parent, whatever way the parent ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start agent %d: %w", idx, err)
	}
	c := &child{idx: idx, cmd: cmd, in: in, out: bufio.NewScanner(out), done: make(chan error, 1)}
	c.out.Buffer(make([]byte, 64<<10), 64<<20)
	go func() { c.done <- cmd.Wait() }()
	return c, nil
}

// each sends req to every child at once and returns the answers in order.
func (p *procPool) each(req agentRequest) ([]agentReply, error) {
	reps := make([]agentReply, len(p.children))
	errs := make([]error, len(p.children))
	var wg sync.WaitGroup
	for i, c := range p.children {
		wg.Go(func() { reps[i], errs[i] = c.call(req) })
	}
	wg.Wait()
	return reps, errors.Join(errs...)
}

func (p *procPool) stats(context.Context) (poolStats, error) {
	reps, err := p.each(agentRequest{Op: "stats"})
	var st poolStats
	for _, r := range reps {
		if r.Stats != nil {
			st.add(*r.Stats)
		}
	}
	return st, err
}

func (p *procPool) window(_ context.Context, on bool) (poolStats, *latency.Snapshot, error) {
	reps, err := p.each(agentRequest{Op: "window", On: on})
	var st poolStats
	h := &latency.Snapshot{}
	for _, r := range reps {
		if r.Stats != nil {
			st.add(*r.Stats)
		}
		if r.Hist != nil {
			h.Merge(r.Hist)
		}
	}
	return st, h, err
}

func (p *procPool) hists(context.Context) (setupHists, error) {
	reps, err := p.each(agentRequest{Op: "hists"})
	h := setupHists{Setup: &latency.Snapshot{}, Connect: &latency.Snapshot{}, Resub: &latency.Snapshot{}, Lateness: &latency.Snapshot{}}
	for _, r := range reps {
		if r.Hists != nil {
			h.merge(*r.Hists)
		}
	}
	return h, err
}

func (p *procPool) drop(context.Context) error {
	_, err := p.each(agentRequest{Op: "drop"})
	return err
}

func (p *procPool) publish(_ context.Context, plan pubPlan) error {
	_, err := p.each(agentRequest{Op: "publish", Plan: &plan})
	return err
}

func (p *procPool) losses(_ context.Context, final uint64) (lossReport, error) {
	reps, err := p.each(agentRequest{Op: "losses", Final: final})
	var l lossReport
	for _, r := range reps {
		if r.Loss != nil {
			l.add(*r.Loss)
		}
	}
	return l, err
}

func (p *procPool) pids() []int {
	out := []int{os.Getpid()}
	for _, c := range p.children {
		out = append(out, c.cmd.Process.Pid)
	}
	return out
}

// close stops every child at once and waits for all of them.
func (p *procPool) close() {
	var wg sync.WaitGroup
	for _, c := range p.children {
		wg.Go(c.stop)
	}
	wg.Wait()
	p.children = nil
}
