package account

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// A 1,000-attempt sign-in burst from one address: the address limit
// answers all but its burst before any hashing, each refusal saying when
// to retry.
func TestSignInBurstFromOneAddressIsLimitedBeforeHashing(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AddressPerMinute = 10 })
	ctx := context.Background()
	before := f.Stats().HashesRun
	var limited, bad atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.SignIn(ctx, fmt.Sprintf("user%d@example.com", i), "some password", laptop)
			var e *Error
			switch {
			case errors.As(err, &e) && e.Wire.Code == wire.CodeTooManyRequests && e.RetryAfter > 0 && e.Wire.Temporary:
				limited.Add(1)
			case errors.As(err, &e) && e.Wire.Code == wire.CodeBadCredentials:
				bad.Add(1)
			default:
				t.Errorf("attempt %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 10 || limited.Load() != 990 {
		t.Fatalf("%d checked, %d limited; want 10 and 990", bad.Load(), limited.Load())
	}
	if ran := f.Stats().HashesRun - before; ran != 10 {
		t.Fatalf("%d hashes computed; want 10 (rate limiting runs before hashing)", ran)
	}
}

// A burst from 1,000 addresses (each under its own limit) never runs more
// hashes at once than the configured concurrency; past the queue, callers
// are told at once to retry. Memory for hashing is therefore bounded by
// concurrency × memory per hash.
func TestSignInBurstFromManyAddressesIsBoundedByTheHashingSlots(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Hash = HashParams{MemoryKiB: 1024, Iterations: 1, Concurrency: 2, Queue: 4}
	})
	ctx := context.Background()
	var busy, bad atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Client{Addr: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})}
			_, err := f.SignIn(ctx, "someone@example.com", "some password", c)
			var e *Error
			switch {
			case errors.As(err, &e) && e.Wire.Code == wire.CodeSignInBusy && e.Wire.Temporary && e.RetryAfter > 0:
				busy.Add(1)
			case errors.As(err, &e) && e.Wire.Code == wire.CodeBadCredentials:
				bad.Add(1)
			default:
				t.Errorf("attempt %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	st := f.Stats()
	if st.HashPeak > 2 {
		t.Fatalf("%d hashes ran at once; the limit is 2", st.HashPeak)
	}
	if busy.Load()+bad.Load() != 1000 || bad.Load() == 0 || busy.Load() == 0 || st.HashBusy != busy.Load() {
		t.Fatalf("%d checked, %d busy (counter %d); want both, summing to 1000", bad.Load(), busy.Load(), st.HashBusy)
	}
}

// The limiter table is bounded: a flood of distinct addresses beyond it
// is refused rather than stored.
func TestLimiterTableIsBounded(t *testing.T) {
	l := newKeyedLimiter(5, 60e9, "from your address")
	l.max = 100
	f := newFixture(t, nil)
	now := f.clock()
	refused := 0
	for i := 0; i < 1000; i++ {
		if l.allow(fmt.Sprint("addr-", i), now) != nil {
			refused++
		}
	}
	if l.size() > 100 || refused != 900 {
		t.Fatalf("table %d keys, %d refused; want at most 100 kept and 900 refused", l.size(), refused)
	}
	// Once the buckets have refilled they make room again.
	if err := l.allow("late", now.Add(61e9)); err != nil || l.size() != 1 {
		t.Fatalf("after refill: %v, %d keys", err, l.size())
	}
}
