package websocket

import (
	"runtime"
	"strconv"
	"sync"
)

// The socket pollers wait in epoll_wait through a plain system call, which
// keeps the goroutine's P (Go's right to run Go code) for the whole wait:
// the scheduler takes a P back from a system call only when its monitor
// thread notices, after one to two of its ticks, and the monitor sleeps up
// to 10 ms between ticks when the process looks idle. With GOMAXPROCS=1 every
// goroutine a message wakes (the command runner, the NATS client, the
// writer shards) could wait that long each time the poller went back to
// epoll_wait; the rooms benchmark measured p99 140 ms that way, 29 ms with
// one P more (docs/benchmarks.md, decision 0019).

var defaultPollers = sync.OnceValue(func() int { return max(1, runtime.GOMAXPROCS(0)/4) })

// DefaultPollers is how many socket pollers a Server starts when
// Config.Pollers is 0: a quarter of GOMAXPROCS as it was at the first
// call, at least 1. A poller only reads and decodes frames; the writes
// and the commands run elsewhere.
func DefaultPollers() int { return defaultPollers() }

// ReservePollerProcs raises GOMAXPROCS by pollers, so the pollers' waits
// in epoll_wait never hold the Ps that run the rest of the server, and
// returns the new value. It leaves GOMAXPROCS alone, and returns it, when
// the operator set it (envGOMAXPROCS a positive integer; the runtime
// ignores any other value, and so does this). Call it once, at process
// start, before DefaultPollers' first use would see the raised value;
// setting GOMAXPROCS this way stops the runtime from following later
// changes of the container's CPU limit.
func ReservePollerProcs(pollers int, envGOMAXPROCS string) int {
	_ = DefaultPollers() // fix the default at the operator's GOMAXPROCS
	if n, err := strconv.Atoi(envGOMAXPROCS); (err == nil && n > 0) || pollers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	n := runtime.GOMAXPROCS(0) + pollers
	runtime.GOMAXPROCS(n)
	return n
}
