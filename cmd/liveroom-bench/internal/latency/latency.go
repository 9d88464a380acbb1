// Package latency records durations in a log-linear bucket histogram that
// many goroutines may write at once, and reads percentiles from snapshots.
//
// Values below 128 ns are counted exactly. Above, every power of two is cut
// into 64 buckets of equal width, so a reported percentile is at most 1/64
// (about 1.6 %) above the true value. A percentile is reported as the upper
// bound of its bucket, clamped to the largest value seen, so it never
// understates.
package latency

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

const (
	exactBelow = 128 // values below this have a bucket of their own
	subBuckets = 64  // buckets per power of two above exactBelow
	// numBuckets covers every uint64: 128 exact values, then 57 powers of
	// two (shift 1 … 57) of 64 buckets each.
	numBuckets = exactBelow + 57*subBuckets
)

// bucketOf returns the bucket index of v.
func bucketOf(v uint64) int {
	if v < exactBelow {
		return int(v)
	}
	shift := bits.Len64(v) - 7 // ≥ 1: v>>shift is in [64, 128)
	top := v >> shift
	return exactBelow + (shift-1)*subBuckets + int(top-subBuckets)
}

// upperBound returns the largest value that falls in bucket i.
func upperBound(i int) uint64 {
	if i < exactBelow {
		return uint64(i)
	}
	shift := (i-exactBelow)/subBuckets + 1
	top := uint64((i-exactBelow)%subBuckets + subBuckets)
	if shift == 57 && top == 127 {
		return math.MaxUint64
	}
	return (top+1)<<shift - 1
}

// Histogram counts durations. The zero value is ready; it must not be
// copied after first use. Record is safe for concurrent use.
type Histogram struct {
	counts   [numBuckets]atomic.Uint64
	count    atomic.Uint64
	sum      atomic.Uint64 // nanoseconds; wraps after 584 years of total latency
	max      atomic.Uint64
	negative atomic.Uint64 // values below zero, recorded as 0
}

// Record adds one duration. Negative durations (a clock step) are counted
// as 0 and reported in Snapshot.Negative.
func (h *Histogram) Record(d time.Duration) {
	var v uint64
	if d < 0 {
		h.negative.Add(1)
	} else {
		v = uint64(d)
	}
	h.counts[bucketOf(v)].Add(1)
	h.count.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
}

// Snapshot copies the counts. Values recorded while it runs may be partly
// included; callers that need exact totals stop recording first.
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{
		Count:    h.count.Load(),
		Sum:      h.sum.Load(),
		Max:      h.max.Load(),
		Negative: h.negative.Load(),
	}
	for i := range h.counts {
		s.counts[i] = h.counts[i].Load()
	}
	return s
}

// Snapshot is a plain copy of a histogram, for reading and merging.
type Snapshot struct {
	counts   [numBuckets]uint64
	Count    uint64
	Sum      uint64
	Max      uint64
	Negative uint64
}

// Merge adds o's counts to s.
func (s *Snapshot) Merge(o *Snapshot) {
	for i := range s.counts {
		s.counts[i] += o.counts[i]
	}
	s.Count += o.Count
	s.Sum += o.Sum
	s.Max = max(s.Max, o.Max)
	s.Negative += o.Negative
}

// Percentile returns the value at or below which a fraction q (0 < q ≤ 1)
// of the recorded values fall: the upper bound of the bucket holding the
// value of rank ⌈q·Count⌉, at most Max. It returns 0 when nothing was
// recorded.
func (s *Snapshot) Percentile(q float64) time.Duration {
	if s.Count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.Count)))
	rank = min(max(rank, 1), s.Count)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(upperBound(i), s.Max))
		}
	}
	return time.Duration(s.Max)
}

// Mean returns the average of the recorded values, 0 when there are none.
func (s *Snapshot) Mean() time.Duration {
	if s.Count == 0 {
		return 0
	}
	return time.Duration(s.Sum / s.Count)
}

// Summary is the usual set of percentiles, in milliseconds, for reports.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p999_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Summary returns the count, mean, p50, p90, p99, p99.9 and max.
func (s *Snapshot) Summary() Summary {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return Summary{
		Count:  s.Count,
		MeanMS: ms(s.Mean()),
		P50MS:  ms(s.Percentile(0.50)),
		P90MS:  ms(s.Percentile(0.90)),
		P99MS:  ms(s.Percentile(0.99)),
		P999MS: ms(s.Percentile(0.999)),
		MaxMS:  ms(time.Duration(s.Max)),
	}
}
