// Command wsbench measures each WebSocket server contender: idle memory per
// connection and broadcast throughput. run.sh builds the binaries and
// starts it; see there for the usual invocation.
//
// For each contender and each -n it runs -reps fresh servers (wsserver,
// pinned to -server-cpu with GOMAXPROCS=1) and -clients client processes
// (wsclient, pinned to -client-cpu) that share the N connections. Each run
// measures the server with no connections and with N idle ones; on runs
// with N = -broadcast-n it then broadcasts. It prints one RESULT or FAIL
// line per run and a MEDIAN line per group, and writes a markdown report.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/liveroom-dev/liveroom/bench/wslib/contender"
)

// bench holds the settings of a whole measurement and its run counter.
type bench struct {
	bin              string // directory of wsserver and wsclient
	serverCPU        string
	clientCPU        string
	clients          int
	lowat            int // wsclient -lowat
	idle             time.Duration
	connectTimeout   time.Duration
	broadcastTimeout time.Duration
	clkTck           int64
	runs             int // runs started so far; picks each run's client addresses
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

func run() error {
	b := &bench{}
	flag.StringVar(&b.bin, "bin", "", "directory holding the wsserver and wsclient binaries")
	flag.StringVar(&b.serverCPU, "server-cpu", "0", "CPU list (taskset -c) for the server")
	flag.StringVar(&b.clientCPU, "client-cpu", "1", "CPU list (taskset -c) for the clients")
	flag.IntVar(&b.clients, "clients", 3, "client processes sharing the connections")
	flag.IntVar(&b.lowat, "client-lowat", 2048, "wsclient -lowat: bytes a client socket gathers before waking its reader (0: off)")
	flag.DurationVar(&b.idle, "idle", 5*time.Second, "how long all connections must stay open and idle before measuring")
	flag.DurationVar(&b.connectTimeout, "connect-timeout", 2*time.Minute, "limit for opening all connections")
	flag.DurationVar(&b.broadcastTimeout, "broadcast-timeout", 5*time.Minute, "limit for one broadcast")
	flag.Int64Var(&b.clkTck, "clk-tck", 100, "clock ticks per second of /proc/PID/stat (getconf CLK_TCK)")
	servers := flag.String("servers", strings.Join(contender.Names(), ","), "contenders to measure, comma-separated")
	ns := flag.String("n", "5000,15000", "connection counts for the idle runs, comma-separated")
	bcastN := flag.Int("broadcast-n", 5000, "connection count of the runs that also broadcast (0: none)")
	size := flag.Int("size", 128, "broadcast message size S in bytes")
	count := flag.Int("count", 120, "messages M per broadcast to start from; raised until a broadcast lasts -min-seconds")
	minSeconds := flag.Float64("min-seconds", 3, "shortest broadcast that counts")
	maxOther := flag.Float64("max-other-load", 0.25, "redo a broadcast run (up to 3 times per group) when other work took more than this share of the server's CPU")
	reps := flag.Int("reps", 3, "runs per contender and connection count; the report gives the median")
	out := flag.String("out", "results.md", "markdown report to write")
	flag.Parse()
	if b.bin == "" {
		return fmt.Errorf("-bin is required")
	}
	var counts []int
	for _, s := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -n entry %q", s)
		}
		counts = append(counts, n)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep := newReport(*reps, b)
	rep.maxOther = *maxOther
	for _, name := range strings.Split(*servers, ",") {
		name = strings.TrimSpace(name)
		m := *count
		for _, n := range counts {
			calibrations, redos := 0, 0
			for r := 1; r <= *reps; r++ {
				sp := spec{server: name, n: n, rep: r}
				if n == *bcastN {
					sp.size, sp.count = *size, m
				}
				if sp.count > 0 {
					waited, err := b.waitQuiet(ctx, *maxOther, 90*time.Second)
					if err != nil {
						return err
					}
					if waited > 2*time.Second {
						fmt.Printf("QUIET waited_s=%.0f for other work to leave the CPUs\n", waited.Seconds())
					}
				}
				idle, bc, err := b.runOnce(ctx, sp)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err == nil && bc != nil && bc.seconds < *minSeconds && calibrations < 4 {
					// Too short to trust: scale M and redo this repetition.
					calibrations++
					m = int(math.Ceil(float64(m) * *minSeconds * 1.3 / bc.seconds))
					fmt.Printf("CALIBRATE server=%s n=%d seconds=%.2f new_count=%d\n", name, n, bc.seconds, m)
					r--
					continue
				}
				if err == nil && bc != nil && bc.otherOnServerCPU > *maxOther && redos < 3 {
					// Other work on the machine took the server's CPU.
					redos++
					fmt.Printf("DISTURBED server=%s n=%d rep=%d other_load_server_cpu=%.2f\n", name, n, r, bc.otherOnServerCPU)
					r--
					continue
				}
				rep.add(sp, idle, bc, err)
			}
		}
	}
	rep.printMedians()
	return os.WriteFile(*out, rep.markdown(), 0o644)
}
