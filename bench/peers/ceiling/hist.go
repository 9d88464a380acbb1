package main

import (
	"math"
	"time"
)

// histLimit is the largest latency counted in its own bucket; longer ones
// share the last bucket and still set max.
const histLimit = 10 * time.Second

// usHistogram counts latencies in 1 µs buckets up to histLimit, so its
// percentiles are exact to the microsecond. 40 MB; one per client.
type usHistogram struct {
	counts   []uint32
	n        int64
	max      time.Duration
	negative int64 // stamps later than the receive time (clock step), counted as 0
}

func newUSHistogram() *usHistogram {
	return &usHistogram{counts: make([]uint32, histLimit/time.Microsecond+1)}
}

func (h *usHistogram) record(d time.Duration) {
	if d < 0 {
		h.negative++
		d = 0
	}
	h.n++
	h.max = max(h.max, d)
	h.counts[min(int(d/time.Microsecond), len(h.counts)-1)]++
}

// quantile returns the smallest latency in ms that q of the samples do not
// exceed (q in (0,1]); 0 with no samples.
func (h *usHistogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			if i == len(h.counts)-1 {
				return round3(float64(h.max) / float64(time.Millisecond))
			}
			return round3(float64(i) / 1000)
		}
	}
	return round3(float64(h.max) / float64(time.Millisecond))
}

// latencyResult is the client's latency summary, in ms.
type latencyResult struct {
	Samples  int64   `json:"samples"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p999_ms"`
	Max      float64 `json:"max_ms"`
	Negative int64   `json:"negative,omitempty"`
}

func (h *usHistogram) summary() *latencyResult {
	return &latencyResult{
		Samples: h.n, P50: h.quantile(0.5), P90: h.quantile(0.9), P99: h.quantile(0.99),
		P999: h.quantile(0.999), Max: round3(float64(h.max) / float64(time.Millisecond)), Negative: h.negative,
	}
}
