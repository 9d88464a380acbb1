package account

import (
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// keyedLimiter is one token bucket per key (an address, an email), with a
// bounded number of keys: buckets that have refilled are dropped when the
// table is full, and if it is still full a new key is refused, so a flood
// of distinct keys costs bounded memory and fails closed.
type keyedLimiter struct {
	rate  float64 // tokens per second
	burst float64
	what  string // "from your address", for messages
	max   int    // most keys kept

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxLimiterKeys bounds each limiter's table (about 100 bytes a key).
const maxLimiterKeys = 100_000

func newKeyedLimiter(perPeriod int, period time.Duration, what string) *keyedLimiter {
	return &keyedLimiter{
		rate:    float64(perPeriod) / period.Seconds(),
		burst:   float64(perPeriod),
		what:    what,
		max:     maxLimiterKeys,
		buckets: make(map[string]*bucket),
	}
}

// allow spends one attempt for key at now, or returns a refusal with the
// time until the next attempt is allowed.
func (l *keyedLimiter) allow(key string, now time.Time) *Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.pruneLocked(now)
		}
		if len(l.buckets) >= l.max {
			return tooMany("too many sign-in attempts on this server right now", time.Minute)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return tooMany("too many attempts "+l.what, wait)
}

// pruneLocked drops the buckets that would be full again by now.
func (l *keyedLimiter) pruneLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

func (l *keyedLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

func tooMany(msg string, wait time.Duration) *Error {
	wait = max(wait.Round(time.Second), time.Second)
	return &Error{Wire: wire.Error{Code: wire.CodeTooManyRequests, Temporary: true,
		Message: fmt.Sprintf("%s; retry in %s", msg, humanWait(wait))}, RetryAfter: wait}
}

func humanWait(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	return fmt.Sprintf("%d min", int(math.Ceil(d.Minutes())))
}

// addressKey is the limiter key of an address: the address itself for
// IPv4, its /64 network for IPv6 (one subscriber line usually has a whole
// /64).
func addressKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}
