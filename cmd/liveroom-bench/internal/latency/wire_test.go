package latency

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// Histograms recorded in separate processes, sent as JSON and merged, give
// the same snapshot as one histogram that saw every value.
func TestMergeAcrossProcesses(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var all Histogram
	parts := make([]Histogram, 4)
	for i := range 50000 {
		d := time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
		if i%997 == 0 {
			d = -time.Millisecond
		}
		all.Record(d)
		parts[r.IntN(len(parts))].Record(d)
	}
	merged := &Snapshot{}
	for i := range parts {
		data, err := json.Marshal(parts[i].Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		var back Snapshot
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		merged.Merge(&back)
	}
	want := all.Snapshot()
	if *merged != *want {
		t.Fatalf("merged %+v\nwant %+v", merged.Summary(), want.Summary())
	}
	if merged.Summary() != want.Summary() || merged.Negative == 0 {
		t.Fatalf("summaries differ or no negatives: %+v %+v", merged.Summary(), want.Summary())
	}
}

func TestUnmarshalRefusesInconsistentSnapshots(t *testing.T) {
	for _, s := range []string{
		`{"count":1,"sum":1,"max":1,"buckets":[[99999,1]]}`,
		`{"count":2,"sum":1,"max":1,"buckets":[[1,1]]}`,
		`{"count":1,"buckets":[["a",1]]}`,
		`[]`,
	} {
		var snap Snapshot
		if err := json.Unmarshal([]byte(s), &snap); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
	empty, err := json.Marshal(&Snapshot{})
	if err != nil || string(empty) != `{"count":0,"sum":0,"max":0,"buckets":[]}` {
		t.Errorf("empty: %s %v", empty, err)
	}
}
