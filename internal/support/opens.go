package support

import (
	"fmt"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// OpenAllowed decides whether a user may open a new conversation at now,
// given the times (Unix ms) of the ones they opened before: at most
// OpenRate per OpenWindow, a sliding window (OpenRate 0: no limit).
// Opening again while a conversation is open returns that one and is not
// counted. The limit bounds opening, withdrawing and opening again, which
// would otherwise flood the agents' queue and the room's support audit
// log with conversations.
func OpenAllowed(cfg *Config, opened []int64, now time.Time) error {
	if cfg.OpenRate <= 0 {
		return nil
	}
	kept := RecentOpens(cfg, opened, now)
	if len(kept) < cfg.OpenRate {
		return nil
	}
	cut := now.UnixMilli() - cfg.OpenWindow.Milliseconds()
	wait := kept[len(kept)-cfg.OpenRate] - cut
	return wire.Errorf(wire.CodeSupportRateLimited, true,
		"you opened %d support conversations in the last %s: wait %s before opening another", len(kept), window(cfg.OpenWindow), seconds(wait))
}

// RecentOpens returns the open times still in the window at now, oldest
// first: what to keep, with the next open's time appended.
func RecentOpens(cfg *Config, opened []int64, now time.Time) []int64 {
	ms := now.UnixMilli()
	cut := ms - cfg.OpenWindow.Milliseconds()
	kept := make([]int64, 0, len(opened)+1)
	for _, t := range opened {
		if t > cut && t <= ms {
			kept = append(kept, t)
		}
	}
	return kept
}

// window formats a window for a refusal: "10 min", "30 s".
func window(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return seconds(d.Milliseconds())
}
