package hub

import (
	"context"
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
