package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/bench/wslib/contender"
	"github.com/liveroom-dev/liveroom/bench/wslib/internal/ctlapi"
	"github.com/liveroom-dev/liveroom/bench/wslib/internal/proc"
)

// control serves /stats and /broadcast and owns the broadcast goroutine.
type control struct {
	ctx context.Context // ends at shutdown; bounds a running broadcast
	srv contender.Server

	mu      sync.Mutex
	bc      ctlapi.Broadcast // guarded by mu
	stopped bool             // guarded by mu; set by wait, refuses new broadcasts

	running sync.WaitGroup // the broadcast goroutine, at most one
}

func newControl(ctx context.Context, srv contender.Server) *control {
	return &control{ctx: ctx, srv: srv, bc: ctlapi.Broadcast{State: "idle"}}
}

func (c *control) routes(profile bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", c.stats)
	mux.HandleFunc("POST /broadcast", c.broadcast)
	if profile {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	return mux
}

// stats reports the process's memory. With gc=1 it first runs a full
// collection and returns freed pages to the OS (debug.FreeOSMemory), so
// that the numbers hold what live connections retain rather than garbage
// left by their handshakes.
func (c *control) stats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := proc.RSS(0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.mu.Lock()
	bc := c.bc
	c.mu.Unlock()
	writeJSON(w, ctlapi.Stats{
		RSS:        rss,
		HeapInuse:  int64(ms.HeapInuse),
		HeapSys:    int64(ms.HeapSys),
		StackInuse: int64(ms.StackInuse),
		Sys:        int64(ms.Sys),
		Goroutines: int64(runtime.NumGoroutine()),
		Conns:      int64(c.srv.Conns()),
		Broadcast:  bc,
	})
}

// broadcast starts one broadcast and answers at once with its state; poll
// /stats for the end.
func (c *control) broadcast(w http.ResponseWriter, r *http.Request) {
	size, err1 := strconv.Atoi(r.URL.Query().Get("size"))
	count, err2 := strconv.Atoi(r.URL.Query().Get("count"))
	if err1 != nil || err2 != nil || size < 0 || count < 1 {
		http.Error(w, "want size>=0 and count>=1", http.StatusBadRequest)
		return
	}
	msg := make([]byte, size) // built once, sent to everyone
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}

	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if c.bc.State == "running" {
		c.mu.Unlock()
		http.Error(w, "a broadcast is running", http.StatusConflict)
		return
	}
	c.bc = ctlapi.Broadcast{State: "running", Size: size, Count: count, StartNS: time.Now().UnixNano()}
	bc := c.bc
	c.running.Add(1)
	c.mu.Unlock()

	go func() {
		defer c.running.Done()
		res := c.srv.Broadcast(c.ctx, msg, count)
		end := time.Now().UnixNano()
		c.mu.Lock()
		c.bc.State, c.bc.EndNS, c.bc.Result = "done", end, res
		c.mu.Unlock()
	}()
	writeJSON(w, bc)
}

// wait refuses further broadcasts and returns once no broadcast goroutine
// is running; call it after the control context has ended.
func (c *control) wait() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	c.running.Wait()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
