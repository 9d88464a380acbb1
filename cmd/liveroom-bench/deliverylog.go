package main

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"slices"
	"sync"
)

// deliveryLog keeps every delivery of one measurement window, so a run's
// tail can be placed in time (which second, which connections) instead of
// being one percentile for the whole window. Enabled with --latency-log.
type deliveryLog struct {
	shards [numShards]struct {
		mu   sync.Mutex
		rows []deliveryRow // mu
		_    [40]byte      // keep shards on their own cache lines
	}
}

// deliveryRow is one delivery: when it arrived and how late (Unix ns and
// ns), and the connection's index in the run.
type deliveryRow struct {
	at, latency int64
	conn        int32
}

func (l *deliveryLog) add(shard int, at, latency int64, conn int) {
	s := &l.shards[shard]
	s.mu.Lock()
	s.rows = append(s.rows, deliveryRow{at: at, latency: latency, conn: int32(conn)})
	s.mu.Unlock()
}

// write writes the deliveries to path as tab-separated lines in arrival
// order, under a header line starting with '#', and returns how many.
func (l *deliveryLog) write(path string) (int, error) {
	var rows []deliveryRow
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		rows = append(rows, s.rows...)
		s.mu.Unlock()
	}
	slices.SortFunc(rows, func(a, b deliveryRow) int { return cmp.Compare(a.at, b.at) })
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("latency log: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fmt.Fprintln(w, "# received_unix_ns\tlatency_ns\tconnection")
	for _, r := range rows {
		fmt.Fprintf(w, "%d\t%d\t%d\n", r.at, r.latency, r.conn)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, fmt.Errorf("latency log: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("latency log: %w", err)
	}
	return len(rows), nil
}

// latencyLogPath names the file of one process's one window:
// <prefix>-p<process>-w<window>.tsv.
func latencyLogPath(prefix string, process, window int) string {
	return fmt.Sprintf("%s-p%d-w%d.tsv", prefix, process, window)
}
