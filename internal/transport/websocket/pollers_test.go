package websocket

import "testing"

// The default poller count is a quarter of GOMAXPROCS, at least 1, and a
// negative count is refused.
func TestDefaultPollers(t *testing.T) {
	pollers := DefaultPollers()
	if pollers < 1 {
		t.Fatalf("DefaultPollers() = %d; want at least 1", pollers)
	}
	cfg, err := Config{}.withDefaults()
	if err != nil || cfg.Pollers != pollers {
		t.Fatalf("Config default Pollers = %d (%v); want %d", cfg.Pollers, err, pollers)
	}
	if _, err := (Config{Pollers: -1}).withDefaults(); err == nil {
		t.Fatal("negative Pollers accepted")
	}
}
