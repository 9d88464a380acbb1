package gcpace

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentFollowsTheAllocationRateWithinBounds(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name     string
		rate     float64
		live     uint64
		period   time.Duration
		headroom int64
		want     int
	}{
		{"idle", 10 << 10, 50 * mib, 10 * time.Second, 256 * mib, 100},
		{"a room's load: 14 MB/s on a 60 MB heap", 14 * mib, 60 * mib, 10 * time.Second, 256 * mib, 233},
		{"headroom caps it", 100 * mib, 60 * mib, 10 * time.Second, 256 * mib, 426},
		{"tiny heap caps at the maximum", 100 * mib, 1 << 10, 10 * time.Second, 256 * mib, 10_000},
		{"no live heap measured yet", 100 * mib, 0, 10 * time.Second, 256 * mib, 100},
		{"off", 100 * mib, 60 * mib, 0, 256 * mib, 100},
	}
	for _, c := range cases {
		if got := Percent(c.rate, c.live, c.period, c.headroom); got != c.want {
			t.Errorf("%s: Percent = %d; want %d", c.name, got, c.want)
		}
	}
}

func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Under fast allocation the pacer raises GOGC; when allocation stops it
// comes back to the runtime's 100.
func TestRunRaisesGOGCUnderLoadAndGivesItBack(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		Run(ctx, Config{Period: 10 * time.Second, MaxHeadroom: 1 << 30, Interval: 20 * time.Millisecond})
	})
	defer func() { cancel(); wg.Wait() }()

	var sink atomic.Pointer[[]byte]
	stop := make(chan struct{})
	var alloc sync.WaitGroup
	alloc.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			b := make([]byte, 64<<10)
			sink.Store(&b)
		}
	})
	waitFor(t, "GOGC raised under allocation", func() bool { return gogc() > 1000 })
	close(stop)
	alloc.Wait()
	waitFor(t, "GOGC back to 100 once allocation stopped", func() bool { return gogc() == 100 })

	cancel()
	wg.Wait()
	if got := gogc(); got != 100 {
		t.Fatalf("GOGC after the pacer stopped = %d; want 100, the value at start", got)
	}
}

// Stopping restores the value found at start.
func TestRunRestoresGOGCOnStop(t *testing.T) {
	before := debug.SetGCPercent(137)
	defer debug.SetGCPercent(before)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Run(ctx, Config{Period: time.Hour, MaxHeadroom: 1 << 30, Interval: 10 * time.Millisecond})
		close(done)
	}()
	// An hour's worth of even a slow allocation rate passes 137 % of a
	// small test heap: wait until the pacer moved GOGC, then stop it.
	var sink atomic.Pointer[[]byte]
	waitFor(t, "GOGC moved by the pacer", func() bool {
		b := make([]byte, 1<<20)
		sink.Store(&b)
		return gogc() != 137
	})
	cancel()
	<-done
	if got := gogc(); got != 137 {
		t.Fatalf("GOGC after stop = %d; want 137, the value at start", got)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s (GOGC %d)", what, gogc())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
