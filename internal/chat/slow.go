package chat

import (
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// Bounds of slow mode settings, in seconds.
const (
	MaxSlowMode     = 3600
	MaxAutoSlowMode = 120
)

// SlowMode is the slow mode in force, in seconds: the manual setting, or
// the automatic one while it is on, whichever is longer.
func (r *Room) SlowMode() int {
	s := r.Pub.Settings.SlowMode
	if r.Pub.AutoOn && r.Pub.Settings.AutoSlowSeconds > s {
		s = r.Pub.Settings.AutoSlowSeconds
	}
	return s
}

// roomRate is the room's published messages per second over the window
// ending at now, counting extra more.
func (r *Room) roomRate(now int64, window time.Duration, extra int) float64 {
	secs := int64(window / time.Second)
	if secs < 1 {
		secs = 1
	}
	cut := now/1000 - secs
	n := extra
	for _, c := range r.Pub.Rate {
		if c.Sec > cut {
			n += c.N
		}
	}
	return float64(n) / float64(secs)
}

// autoSlowOn returns the event that switches automatic slow mode on, when
// the room allows it, it is off, and the rate (with extra more messages)
// reached the threshold.
func (r *Room) autoSlowOn(now int64, extra int) *wire.ChatEvent {
	p := r.Pub
	if !p.Settings.AutoSlow || p.AutoOn || p.Settings.AutoSlowSeconds <= 0 {
		return nil
	}
	if r.roomRate(now, r.cfg.AutoSlowWindow, extra) < r.cfg.AutoSlowOnRate {
		return nil
	}
	return &wire.ChatEvent{Type: wire.EventSlowAuto, At: now, On: true, Seconds: p.Settings.AutoSlowSeconds}
}

// tick switches automatic slow mode off once the room has been calm (rate
// over the calm window below the off threshold) and it has been on for
// the minimum time. The gap between the on and off thresholds, and the
// minimum time, keep it from flapping.
func (r *Room) tick(now int64) Decision {
	p := r.Pub
	if !p.AutoOn {
		return Decision{}
	}
	if now-p.AutoSince < r.cfg.AutoSlowMinOn.Milliseconds() {
		return Decision{}
	}
	if r.roomRate(now, r.cfg.AutoSlowCalmWindow, 0) >= r.cfg.AutoSlowOffRate {
		return Decision{}
	}
	return Decision{Stream: Public, Events: []wire.ChatEvent{{Type: wire.EventSlowAuto, At: now}}}
}

// NextTick is when Decide(Tick{}) may next change something; zero when
// nothing waits on time.
func (r *Room) NextTick(now time.Time) time.Time {
	if !r.Pub.AutoOn {
		return time.Time{}
	}
	at := time.UnixMilli(r.Pub.AutoSince).Add(r.cfg.AutoSlowMinOn)
	if soon := now.Add(time.Second); at.Before(soon) {
		at = soon
	}
	return at
}
