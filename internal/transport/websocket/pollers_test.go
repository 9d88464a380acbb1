package websocket

import (
	"runtime"
	"testing"
)

// ReservePollerProcs adds one P per poller unless the operator set
// GOMAXPROCS, and the default poller count does not move with it.
func TestReservePollerProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	pollers := DefaultPollers()
	if pollers < 1 {
		t.Fatalf("DefaultPollers() = %d; want at least 1", pollers)
	}
	if got := ReservePollerProcs(pollers, "3"); got != before || runtime.GOMAXPROCS(0) != before {
		t.Fatalf("with GOMAXPROCS set by the operator: %d (now %d); want %d unchanged", got, runtime.GOMAXPROCS(0), before)
	}
	for _, env := range []string{"", "abc", "0", "-2"} { // what the runtime ignores, this ignores
		runtime.GOMAXPROCS(before)
		if got := ReservePollerProcs(pollers, env); got != before+pollers || runtime.GOMAXPROCS(0) != before+pollers {
			t.Fatalf("GOMAXPROCS=%q: reserved %d (now %d); want %d + %d", env, got, runtime.GOMAXPROCS(0), before, pollers)
		}
	}
	if DefaultPollers() != pollers {
		t.Fatalf("DefaultPollers moved from %d to %d after GOMAXPROCS was raised", pollers, DefaultPollers())
	}
	cfg, err := Config{}.withDefaults()
	if err != nil || cfg.Pollers != pollers {
		t.Fatalf("Config default Pollers = %d (%v); want %d", cfg.Pollers, err, pollers)
	}
	if _, err := (Config{Pollers: -1}).withDefaults(); err == nil {
		t.Fatal("negative Pollers accepted")
	}
}
