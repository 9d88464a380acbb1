package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/liveroom-dev/liveroom/bench/wslib/contender"
)

type groupKey struct {
	server string
	n      int
}

// idleVals are bytes (or goroutines) per connection of one run.
type idleVals struct{ rss, heap, stack, sys, goroutines float64 }

type bcastVals struct {
	count                         int
	perSecond, perCPUSecond       float64
	serverCPU, clientCPU, seconds float64
	otherServer, otherClient      float64 // share of each CPU taken by other work
	meanRun                       float64
}

// report collects the runs, prints a line per run and writes the markdown.
type report struct {
	reps     int
	b        *bench
	started  time.Time
	order    []groupKey
	idle     map[groupKey][]idleVals
	bcast    map[groupKey][]bcastVals
	size     int
	maxOther float64
	failures []string
}

func newReport(reps int, b *bench) *report {
	return &report{reps: reps, b: b, started: time.Now(),
		idle: map[groupKey][]idleVals{}, bcast: map[groupKey][]bcastVals{}}
}

func (r *report) add(sp spec, idle *idleResult, bc *broadcastResult, err error) {
	k := groupKey{sp.server, sp.n}
	if !slices.Contains(r.order, k) {
		r.order = append(r.order, k)
	}
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		fmt.Printf("FAIL server=%s n=%d rep=%d reason=%q\n", sp.server, sp.n, sp.rep, msg)
		r.failures = append(r.failures, fmt.Sprintf("%s, N=%d, run %d: %s", sp.server, sp.n, sp.rep, msg))
		return
	}
	n := float64(sp.n)
	per := func(full, base int64) float64 { return float64(full-base) / n }
	v := idleVals{
		rss:        per(idle.full.RSS, idle.base.RSS),
		heap:       per(idle.full.HeapInuse, idle.base.HeapInuse),
		stack:      per(idle.full.StackInuse, idle.base.StackInuse),
		sys:        per(idle.full.Sys, idle.base.Sys),
		goroutines: per(idle.full.Goroutines, idle.base.Goroutines),
	}
	r.idle[k] = append(r.idle[k], v)
	fmt.Printf("RESULT kind=idle server=%s n=%d rep=%d rss_per_conn=%.0f heap_per_conn=%.0f stack_per_conn=%.0f sys_per_conn=%.0f goroutines_per_conn=%.3f base_rss=%d rss=%d\n",
		sp.server, sp.n, sp.rep, v.rss, v.heap, v.stack, v.sys, v.goroutines, idle.base.RSS, idle.full.RSS)
	if bc == nil {
		return
	}
	r.size = sp.size
	w := bcastVals{count: sp.count, seconds: bc.seconds, serverCPU: bc.serverCPU, clientCPU: bc.clientCPU,
		perSecond: float64(bc.deliveries) / bc.seconds, perCPUSecond: float64(bc.deliveries) / bc.serverCPU,
		otherServer: bc.otherOnServerCPU, otherClient: bc.otherOnClientCPU, meanRun: bc.meanRun}
	r.bcast[k] = append(r.bcast[k], w)
	fmt.Printf("RESULT kind=broadcast server=%s n=%d size=%d count=%d rep=%d deliveries=%d seconds=%.3f deliveries_per_s=%.0f server_cpu_s=%.2f deliveries_per_cpu_s=%.0f client_cpu_s=%.2f other_load_server_cpu=%.2f other_load_client_cpu=%.2f mean_run=%.1f\n",
		sp.server, sp.n, sp.size, sp.count, sp.rep, bc.deliveries, bc.seconds, w.perSecond, bc.serverCPU, w.perCPUSecond, bc.clientCPU,
		w.otherServer, w.otherClient, w.meanRun)
}

// median of each field on its own; with an even count, the mean of the two
// middle values.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func col[T any](rows []T, f func(T) float64) float64 {
	xs := make([]float64, len(rows))
	for i, row := range rows {
		xs[i] = f(row)
	}
	return median(xs)
}

func (r *report) printMedians() {
	for _, k := range r.order {
		if rows := r.idle[k]; len(rows) > 0 {
			fmt.Printf("MEDIAN kind=idle server=%s n=%d runs=%d/%d rss_per_conn=%.0f heap_per_conn=%.0f stack_per_conn=%.0f sys_per_conn=%.0f goroutines_per_conn=%.3f\n",
				k.server, k.n, len(rows), r.reps,
				col(rows, func(v idleVals) float64 { return v.rss }), col(rows, func(v idleVals) float64 { return v.heap }),
				col(rows, func(v idleVals) float64 { return v.stack }), col(rows, func(v idleVals) float64 { return v.sys }),
				col(rows, func(v idleVals) float64 { return v.goroutines }))
		}
		if rows := r.bcast[k]; len(rows) > 0 {
			fmt.Printf("MEDIAN kind=broadcast server=%s n=%d size=%d count=%d runs=%d/%d deliveries_per_s=%.0f server_cpu_s=%.2f deliveries_per_cpu_s=%.0f client_cpu_s=%.2f seconds=%.3f mean_run=%.1f\n",
				k.server, k.n, r.size, rows[len(rows)-1].count, len(rows), r.reps,
				col(rows, func(v bcastVals) float64 { return v.perSecond }), col(rows, func(v bcastVals) float64 { return v.serverCPU }),
				col(rows, func(v bcastVals) float64 { return v.perCPUSecond }), col(rows, func(v bcastVals) float64 { return v.clientCPU }),
				col(rows, func(v bcastVals) float64 { return v.seconds }), col(rows, func(v bcastVals) float64 { return v.meanRun }))
		}
	}
}

func (r *report) markdown() []byte {
	var w bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("# WebSocket server libraries: idle memory and broadcast throughput\n\n")
	p("Written by `bench/wslib/run.sh` on %s (%s, %d CPUs, %s, %s). ",
		r.started.UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), memTotal(), runtime.Version())
	p("Server pinned to CPU %s with GOMAXPROCS=1; %d client processes pinned to CPU %s, their sockets gathering up to %d bytes before waking the reader (SO_RCVLOWAT). Median of %d runs per row (each field on its own); `runs` counts the runs that passed every check.\n\n",
		r.b.serverCPU, r.b.clients, r.b.clientCPU, r.b.lowat, r.reps)

	p("## Idle memory per connection\n\n")
	p("(value with N idle connections − value with none) / N, both read after `debug.FreeOSMemory()` once all N connections had stayed open for %v. Bytes, except the last column.\n\n", r.b.idle)
	p("| server | N | runs | RSS | Go heap in use | goroutine stacks | Go runtime sys | goroutines/conn |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range r.order {
		rows := r.idle[k]
		if len(rows) == 0 {
			p("| %s | %d | 0/%d | failed | | | | |\n", k.server, k.n, r.reps)
			continue
		}
		p("| %s | %d | %d/%d | %.0f | %.0f | %.0f | %.0f | %.2f |\n", k.server, k.n, len(rows), r.reps,
			col(rows, func(v idleVals) float64 { return v.rss }), col(rows, func(v idleVals) float64 { return v.heap }),
			col(rows, func(v idleVals) float64 { return v.stack }), col(rows, func(v idleVals) float64 { return v.sys }),
			col(rows, func(v idleVals) float64 { return v.goroutines }))
	}

	p("\n## Broadcast\n\n")
	p("One pre-built %d-byte binary message written M times to each of N connections; time from the first write to the last client receiving its last message. CPU seconds are utime+stime from /proc over the same span. Mean run: messages written back to back to one connection (each still its own write call); the kernel merges such writes, so longer runs cost less CPU per delivery. The last column is the share of the server's CPU that other work on the machine took meanwhile (a run above %.0f%% is redone, up to 3 times per row).\n\n", r.size, 100*r.maxOther)
	p("| server | N | M (last run) | runs | deliveries/s | server CPU s | deliveries per server CPU-s | client CPU s | seconds | mean run | other load on server CPU |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range r.order {
		rows := r.bcast[k]
		if len(rows) == 0 {
			continue
		}
		p("| %s | %d | %d | %d/%d | %.0f | %.2f | %.0f | %.2f | %.2f | %.1f | %.0f%% |\n", k.server, k.n, rows[len(rows)-1].count, len(rows), r.reps,
			col(rows, func(v bcastVals) float64 { return v.perSecond }), col(rows, func(v bcastVals) float64 { return v.serverCPU }),
			col(rows, func(v bcastVals) float64 { return v.perCPUSecond }), col(rows, func(v bcastVals) float64 { return v.clientCPU }),
			col(rows, func(v bcastVals) float64 { return v.seconds }), col(rows, func(v bcastVals) float64 { return v.meanRun }),
			100*col(rows, func(v bcastVals) float64 { return v.otherServer }))
	}

	p("\n## Failed runs\n\n")
	if len(r.failures) == 0 {
		p("None.\n")
	}
	for _, f := range r.failures {
		p("- %s\n", f)
	}
	p("\n## Contenders\n\n")
	var seen []string
	for _, k := range r.order {
		if !slices.Contains(seen, k.server) {
			seen = append(seen, k.server)
			p("- `%s`: %s.\n", k.server, contender.Describe(k.server))
		}
	}
	return w.Bytes()
}

func cpuModel() string { return procField("/proc/cpuinfo", "model name") }

func memTotal() string { return procField("/proc/meminfo", "MemTotal") + " RAM" }

// procField returns the value of the first "key: value" line with key.
func procField(file, key string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return "unknown " + key
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown " + key
}
