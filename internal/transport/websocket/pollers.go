package websocket

import (
	"runtime"
	"sync"
)

var defaultPollers = sync.OnceValue(func() int { return max(1, runtime.GOMAXPROCS(0)/4) })

// DefaultPollers is how many socket pollers (netpoll event loops) a Server
// starts when Config.Pollers is 0: a quarter of GOMAXPROCS as it was at
// the first call, at least 1. A poller only reads and decodes frames; the
// writes and the commands run elsewhere. A waiting poller holds no P
// (decision 0022), so none is reserved for it.
func DefaultPollers() int { return defaultPollers() }
