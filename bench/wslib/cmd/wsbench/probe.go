package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/liveroom-dev/liveroom/bench/wslib/internal/ctlapi"
	"github.com/liveroom-dev/liveroom/bench/wslib/internal/proc"
)

// This file reads what the runs need: the server's control API, process
// CPU times and the load on the CPUs.

func clientTicks(clients []*child) (int64, error) {
	var sum int64
	for _, c := range clients {
		t, err := proc.CPUTicks(c.pid)
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

func getStats(ctx context.Context, ctl string, gc bool) (ctlapi.Stats, error) {
	url := ctl + "/stats"
	if gc {
		url += "?gc=1"
	}
	var s ctlapi.Stats
	err := httpJSON(ctx, http.MethodGet, url, &s)
	return s, err
}

// pollStats polls /stats until ok or timeout.
func pollStats(ctx context.Context, ctl string, timeout time.Duration, ok func(ctlapi.Stats) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		s, err := getStats(ctx, ctl, false)
		if err != nil {
			return err
		}
		if ok(s) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v (last: conns=%d broadcast=%s)", timeout, s.Conns, s.Broadcast.State)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func httpJSON(ctx context.Context, method, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// sleepCtx is the pause between two polls.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitQuiet waits, in one-second windows and for at most limit, until the
// server's CPU is less than maxShare busy: between runs none of our
// processes is running, so what it sees is other work. (The clients' CPU
// matters less: they need a fraction of it.) It returns how long it waited.
func (b *bench) waitQuiet(ctx context.Context, maxShare float64, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		s := startLoad(b.serverCPU)
		if err := sleepCtx(ctx, time.Second); err != nil {
			return 0, err
		}
		if s.other(0) < maxShare || time.Since(start) > limit {
			return time.Since(start), nil
		}
	}
}

// load measures the busy time of one CPU over a span.
type load struct {
	cpu         int
	busy, total int64
	ok          bool
}

// startLoad starts measuring cpuList if it names a single CPU.
func startLoad(cpuList string) load {
	cpu, err := strconv.Atoi(cpuList)
	if err != nil {
		return load{}
	}
	busy, total, err := proc.CPUBusy(cpu)
	return load{cpu: cpu, busy: busy, total: total, ok: err == nil}
}

// other returns the share of the CPU's time since startLoad that was busy
// with anything but ownTicks (the ticks of our processes pinned there).
func (l load) other(ownTicks int64) float64 {
	if !l.ok {
		return -1
	}
	busy, total, err := proc.CPUBusy(l.cpu)
	if err != nil || total == l.total {
		return -1
	}
	return max(0, float64(busy-l.busy-ownTicks)/float64(total-l.total))
}
