package hub

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// A server that fails between New and Start (a cluster that never formed)
// still calls Shutdown on its way out: it must return, not crash.
func TestShutdownOfAHubNeverStarted(t *testing.T) {
	h, err := New(Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Shutdown(context.Background(), 0); err != nil {
		t.Fatalf("shutdown of a hub never started: %v", err)
	}
}

// Commands racing a shutdown: connections keep starting command goroutines
// while Shutdown stops them and waits for those running. None starts once
// the gate is shut, and no Add races the Wait (the race detector reports
// one; a build without it may panic with "WaitGroup misuse").
func TestNoCommandGoroutineStartsOnceShutdownWaits(t *testing.T) {
	h := &Hub{}
	var started atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h.goCommands(func() { defer h.cmdWG.Done(); started.Add(1) }) {
			}
		}()
	}
	for started.Load() < 100 {
		runtime.Gosched()
	}
	h.cmdGate.Lock()
	h.cmdStopped = true
	h.cmdGate.Unlock()
	h.cmdWG.Wait()
	n := started.Load()
	wg.Wait()
	if m := started.Load(); m != n {
		t.Fatalf("%d command goroutines ran after Wait returned", m-n)
	}
	if h.goCommands(func() { t.Error("started after stop") }) {
		t.Fatal("goCommands started a goroutine after the gate was shut")
	}
}
