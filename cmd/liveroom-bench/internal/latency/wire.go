package latency

import (
	"encoding/json"
	"fmt"
)

// wireSnapshot is a snapshot as it crosses between processes: only the
// buckets that hold something, as [index, count] pairs in index order.
type wireSnapshot struct {
	Count    uint64      `json:"count"`
	Sum      uint64      `json:"sum"`
	Max      uint64      `json:"max"`
	Negative uint64      `json:"negative,omitempty"`
	Buckets  [][2]uint64 `json:"buckets"`
}

// MarshalJSON writes the snapshot with its non-empty buckets, so a child
// process can hand its histogram to the process that merges them.
func (s *Snapshot) MarshalJSON() ([]byte, error) {
	w := wireSnapshot{Count: s.Count, Sum: s.Sum, Max: s.Max, Negative: s.Negative, Buckets: [][2]uint64{}}
	for i, c := range s.counts {
		if c != 0 {
			w.Buckets = append(w.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON wrote. It refuses bucket indices out
// of range and bucket counts that do not add up to Count.
func (s *Snapshot) UnmarshalJSON(data []byte) error {
	var w wireSnapshot
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("latency snapshot: %w", err)
	}
	*s = Snapshot{Count: w.Count, Sum: w.Sum, Max: w.Max, Negative: w.Negative}
	var total uint64
	for _, b := range w.Buckets {
		if b[0] >= numBuckets {
			return fmt.Errorf("latency snapshot: bucket %d out of range", b[0])
		}
		s.counts[b[0]] += b[1]
		total += b[1]
	}
	if total != w.Count {
		return fmt.Errorf("latency snapshot: buckets hold %d values, count says %d", total, w.Count)
	}
	return nil
}
