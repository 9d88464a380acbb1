package account

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSignInBurst sends bursts of 1,000 concurrent sign-in attempts
// with the default costs (argon2id 19 MiB, 2 passes, 2 at once, 32
// waiting) and reports the peak Go heap seen while they run, the process's
// peak RSS, and how the attempts were answered. "one-address" is a single
// client (its limit answers all but 10 before hashing); "distinct" gives
// every attempt its own address, the worst case for memory (only the
// hashing slots bound it).
//
//	go test ./internal/auth/account -run XXX -bench SignInBurst -benchtime 3x
func BenchmarkSignInBurst(b *testing.B) {
	for _, mode := range []string{"one-address", "distinct"} {
		b.Run(mode, func(b *testing.B) {
			f := newFixture(b, func(c *Config) {
				c.Hash = HashParams{MemoryKiB: 19 * 1024, Iterations: 2, Concurrency: 2, Queue: 32}
				c.AddressPerMinute, c.EmailPerHour = 10, 1_000_000
			})
			ctx := context.Background()
			runtime.GC()
			base := heapBytes()
			var peak int64
			stop := sampleHeap(&peak)
			var checked, refused int
			for i := 0; i < b.N; i++ {
				var mu sync.Mutex
				var wg sync.WaitGroup
				for j := 0; j < 1000; j++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := laptop
						if mode == "distinct" {
							c.Addr = netip.AddrFrom4([4]byte{10, byte(i), byte(j >> 8), byte(j)})
						} else {
							c.Addr = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
						}
						_, err := f.SignIn(ctx, "nobody@example.com", "password-"+strconv.Itoa(j), c)
						mu.Lock()
						if e, ok := err.(*Error); ok && (e.Wire.Code == 111 || e.Wire.Code == 1107) {
							refused++
						} else {
							checked++
						}
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			stop()
			b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(peakRSS())/(1<<20), "process-peak-RSS-MiB")
			b.ReportMetric(float64(checked)/float64(b.N), "hashed/burst")
			b.ReportMetric(float64(refused)/float64(b.N), "refused/burst")
			b.ReportMetric(float64(f.Stats().HashPeak), "hashes-at-once")
		})
	}
}

func heapBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// sampleHeap records the largest heap seen every millisecond until stop.
func sampleHeap(peak *int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if h := heapBytes(); h > *peak {
				*peak = h
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// peakRSS is the process's peak resident set (VmHWM), 0 where unknown.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkAdmit is the cost the guard adds to every connect and refresh:
// one KV read for a user without a guard record, two for a liveroom
// session token (guard and session), against the embedded engine.
func BenchmarkAdmit(b *testing.B) {
	f := newFixture(b, nil)
	ctx := context.Background()
	g, err := f.Guest(ctx, "Bench", laptop)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("app-token", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if d, err := f.Admit(ctx, "app-user", "", f.clock()); d != nil || err != nil {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("session-token", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if d, err := f.Admit(ctx, g.Account.ID, g.Session, f.clock()); d != nil || err != nil {
				b.Fatal(d, err)
			}
		}
	})
}
