package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// heapReading is the Go heap of the server as its last garbage collection
// reported it (GODEBUG=gctrace=1 on its stderr): "gc 12 @3.4s 1%: …,
// 4->5->2 MB, 5 MB goal, 0 MB stacks, …" — 2 MB is the live heap.
type heapReading struct {
	GC             int64 `json:"gc"`              // collection number
	LiveMB         int64 `json:"live_mb"`         // heap marked live
	GoalMB         int64 `json:"goal_mb"`         // heap goal for the next cycle
	StacksMB       int64 `json:"stacks_mb"`       // goroutine stacks scanned
	AfterConnected bool  `json:"after_connected"` // the collection ran after all connections were up
}

// logSize returns the current size of the log file, 0 when unreadable.
func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// heapReadings returns the gctrace readings in path between byte offsets
// from and to (to < 0: the end), oldest first.
func heapReadings(path string, from, to int64) ([]heapReading, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	defer f.Close()
	if to < 0 {
		to = 1 << 62
	}
	data, err := io.ReadAll(io.NewSectionReader(f, from, to-from))
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	var out []heapReading
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if h, ok := parseGCTrace(line); ok {
			out = append(out, h)
		}
	}
	return out, nil
}

// lastHeap returns the last gctrace reading between from and to.
func lastHeap(path string, from, to int64) (*heapReading, error) {
	hs, err := heapReadings(path, from, to)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, errors.New("server log: no gctrace line (run the server with GODEBUG=gctrace=1)")
	}
	return &hs[len(hs)-1], nil
}

// baselineHeap returns the last reading before offset mark or, when the
// server had not collected yet, its first collection after mark (taken
// while connections were being made, so it overstates the baseline).
func baselineHeap(path string, mark int64) (h *heapReading, during bool) {
	if h, err := lastHeap(path, 0, mark); err == nil {
		return h, false
	}
	hs, err := heapReadings(path, mark, -1)
	if err != nil || len(hs) == 0 {
		return nil, false
	}
	return &hs[0], true
}

// waitHeap returns the last reading after offset mark, waiting up to wait
// for one; without one it falls back to the last reading before mark.
func waitHeap(ctx context.Context, path string, mark int64, wait time.Duration) (*heapReading, error) {
	deadline := time.Now().Add(wait)
	for {
		if h, err := lastHeap(path, mark, -1); err == nil {
			h.AfterConnected = true
			return h, nil
		}
		if !time.Now().Before(deadline) {
			return lastHeap(path, 0, mark)
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, err
		}
	}
}

// parseGCTrace reads one gctrace line.
func parseGCTrace(line []byte) (heapReading, bool) {
	f := bytes.Fields(line)
	if len(f) < 2 || string(f[0]) != "gc" {
		return heapReading{}, false
	}
	var h heapReading
	var err error
	if h.GC, err = strconv.ParseInt(string(f[1]), 10, 64); err != nil {
		return heapReading{}, false
	}
	found := false
	for i := 2; i+1 < len(f); i++ {
		unit := string(bytes.TrimSuffix(f[i+1], []byte(","))) == "MB"
		if !unit {
			continue
		}
		switch {
		case bytes.Count(f[i], []byte("->")) == 2:
			parts := bytes.Split(f[i], []byte("->"))
			if h.LiveMB, err = strconv.ParseInt(string(parts[2]), 10, 64); err != nil {
				return heapReading{}, false
			}
			found = true
		case i+2 < len(f) && bytes.HasPrefix(f[i+2], []byte("goal")):
			h.GoalMB, _ = strconv.ParseInt(string(f[i]), 10, 64)
		case i+2 < len(f) && bytes.HasPrefix(f[i+2], []byte("stacks")):
			h.StacksMB, _ = strconv.ParseInt(string(f[i]), 10, 64)
		}
	}
	return h, found
}
