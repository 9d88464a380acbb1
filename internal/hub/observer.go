package hub

import "time"

// Observer receives timings from the hub's hot paths, for metrics. The
// server implements it; nil means no observation. Implementations must be
// cheap and safe for concurrent use.
type Observer interface {
	// Command is called after a command ran: its kind ("subscribe",
	// "publish", …), how long it took, and its error code (0: success).
	Command(kind string, took time.Duration, code uint32)
	// Publish is called after the engine stored (or refused) a
	// publication: how long the engine took, and whether it failed.
	Publish(took time.Duration, failed bool)
}

type nopObserver struct{}

func (nopObserver) Command(string, time.Duration, uint32) {}
func (nopObserver) Publish(time.Duration, bool)           {}
