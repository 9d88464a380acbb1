package main

import (
	"context"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/procstat"
)

// cpuWindow samples the server's and the tool's CPU time around a window.
// The tool is every process of the pool.
type cpuWindow struct {
	t         *target
	pids      []int
	server    procstat.Sample
	tool      []procstat.Sample
	machine   procstat.Machine
	hasServer bool
}

func startCPU(t *target, pids []int) (cpuWindow, error) {
	w := cpuWindow{t: t, pids: pids}
	var err error
	if w.server, w.hasServer, err = t.sample(); err != nil {
		return w, err
	}
	if w.machine, err = procstat.ReadMachine(); err != nil {
		return w, err
	}
	for _, pid := range pids {
		s, err := procstat.Read(pid)
		if err != nil {
			return w, err
		}
		w.tool = append(w.tool, s)
	}
	return w, nil
}

// cpuUse is what a window cost.
type cpuUse struct {
	Seconds       float64 `json:"seconds"`
	ServerCPU     float64 `json:"server_cpu_seconds,omitempty"`
	ServerUtil    float64 `json:"server_cpu_util,omitempty"`      // cores busy on average
	ServerSysPart float64 `json:"server_cpu_sys_share,omitempty"` // share of server CPU spent in the kernel
	// ServerWaited is how long the server's threads were runnable but
	// waiting for a CPU, in seconds, and ServerWaitShare that over the
	// window: above a few percent, other work held the server back.
	ServerWaited    float64 `json:"server_cpu_wait_seconds,omitempty"`
	ServerWaitShare float64 `json:"server_cpu_wait_share,omitempty"`
	ServerRSSMiB    float64 `json:"server_rss_mib,omitempty"`
	ServerPeakMiB   float64 `json:"server_peak_rss_mib,omitempty"`
	ToolUtil        float64 `json:"tool_cpu_util"` // all tool processes
	ToolProcs       int     `json:"tool_procs"`
	// OtherUtil is the CPU the rest of the machine used meanwhile, in
	// cores: the noise a shared machine adds.
	OtherUtil float64 `json:"other_cpu_util"`
}

func (w cpuWindow) end() (cpuUse, error) {
	var toolCPU time.Duration
	var seconds float64
	for i, pid := range w.pids {
		s, err := procstat.Read(pid)
		if err != nil {
			return cpuUse{}, err
		}
		toolCPU += s.CPU - w.tool[i].CPU
		if i == 0 {
			seconds = s.At.Sub(w.tool[i].At).Seconds()
		}
	}
	u := cpuUse{Seconds: round3(seconds), ToolProcs: len(w.pids)}
	u.ToolUtil = round3(toolCPU.Seconds() / seconds)
	machine, err := procstat.ReadMachine()
	if err != nil {
		return cpuUse{}, err
	}
	other := (machine.Busy - w.machine.Busy - toolCPU).Seconds()
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
		u.ServerWaited = round3((s.Waited - w.server.Waited).Seconds())
		u.ServerWaitShare = round3(u.ServerWaited / elapsed)
		u.ServerRSSMiB = mib(s.RSS)
		u.ServerPeakMiB = mib(s.Peak)
		other -= (s.CPU - w.server.CPU).Seconds()
	}
	u.OtherUtil = round3(max(other, 0) / machine.At.Sub(w.machine.At).Seconds())
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

func diffCounts(now, before map[string]int64) map[string]int64 {
	out := make(map[string]int64)
	for k, v := range now {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}
