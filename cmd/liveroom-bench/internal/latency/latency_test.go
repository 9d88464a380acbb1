package latency

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestBucketBoundsCoverEveryValue(t *testing.T) {
	// Every bucket's range starts right after the previous one's ends.
	var next uint64
	for i := 0; i < numBuckets; i++ {
		if got := bucketOf(next); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", next, got, i)
		}
		ub := upperBound(i)
		if got := bucketOf(ub); got != i {
			t.Fatalf("bucketOf(upperBound(%d)=%d) = %d", i, ub, got)
		}
		if i == numBuckets-1 {
			if ub != math.MaxUint64 {
				t.Fatalf("last bucket ends at %d", ub)
			}
			break
		}
		next = ub + 1
	}
}

func TestPercentilesOfUniformValues(t *testing.T) {
	var h Histogram
	const n = 100000
	for i := 1; i <= n; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	s := h.Snapshot()
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := time.Duration(math.Ceil(q*n)) * time.Microsecond
		got := s.Percentile(q)
		if got < want || float64(got) > float64(want)*(1+1.0/64) {
			t.Errorf("p%v = %v, want %v (+1/64 at most)", q*100, got, want)
		}
	}
	if s.Percentile(1) != n*time.Microsecond || time.Duration(s.Max) != n*time.Microsecond {
		t.Errorf("p100 %v, max %v, want %v", s.Percentile(1), s.Max, n*time.Microsecond)
	}
	if got, want := s.Mean(), time.Duration(n+1)*time.Microsecond/2; got != want {
		t.Errorf("mean %v, want %v", got, want)
	}
}

// The percentile of random values matches the exact order statistic within
// the bucket width, and never falls below it.
func TestPercentilesMatchSortedValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]time.Duration, 20000)
	for i := range vals {
		// Log-uniform between 1 µs and 10 s, like real latencies.
		vals[i] = time.Duration(math.Exp(r.Float64()*math.Log(1e7)) * 1e3)
		h.Record(vals[i])
	}
	slices.Sort(vals)
	s := h.Snapshot()
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999} {
		want := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := s.Percentile(q)
		if got < want || float64(got) > float64(want)*(1+1.0/64) {
			t.Errorf("p%v = %v, exact %v", q*100, got, want)
		}
	}
}

func TestSmallValuesAreExactAndEmptyIsZero(t *testing.T) {
	var h Histogram
	if s := h.Snapshot(); s.Percentile(0.99) != 0 || s.Mean() != 0 {
		t.Fatalf("empty histogram: p99 %v mean %v", s.Percentile(0.99), s.Mean())
	}
	for _, v := range []time.Duration{3, 5, 7, 100} {
		h.Record(v)
	}
	h.Record(-time.Second)
	s := h.Snapshot()
	if s.Negative != 1 || s.Percentile(0.2) != 0 || s.Percentile(0.4) != 3 || s.Percentile(0.6) != 5 || s.Percentile(1) != 100 {
		t.Fatalf("got neg %d p20 %v p40 %v p60 %v p100 %v", s.Negative,
			s.Percentile(0.2), s.Percentile(0.4), s.Percentile(0.6), s.Percentile(1))
	}
}

func TestConcurrentRecordAndMerge(t *testing.T) {
	var a, b Histogram
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		h := &a
		if g%2 == 1 {
			h = &b
		}
		wg.Go(func() {
			for i := 1; i <= 1000; i++ {
				h.Record(time.Duration(i) * time.Millisecond)
			}
		})
	}
	wg.Wait()
	s := a.Snapshot()
	s.Merge(b.Snapshot())
	if s.Count != 8000 || s.Max != uint64(time.Second) {
		t.Fatalf("count %d max %d", s.Count, s.Max)
	}
	if p := s.Percentile(0.5); p < 500*time.Millisecond || p > 508*time.Millisecond {
		t.Fatalf("merged p50 %v", p)
	}
}
