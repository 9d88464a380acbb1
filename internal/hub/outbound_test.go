package hub

import "testing"

// After a burst, the queue keeps no grown array: the next messages go into
// a small one, and a small drained array is reused.
func TestOutboundDropsArraysGrownByABurst(t *testing.T) {
	var o outbound
	msg := outMsg{data: []byte("x")}
	for range 5000 {
		if res, _ := o.push(msg, 0, 1<<20); res != enqueued {
			t.Fatalf("push: %v", res)
		}
	}
	burst, _ := o.take()
	if len(burst) != 5000 {
		t.Fatalf("took %d, want 5000", len(burst))
	}
	o.giveBack(burst)
	for i := range 3 {
		o.push(msg, 0, 1<<20)
		small, _ := o.take()
		if len(small) != 1 || cap(small) > maxSpareMsgs {
			t.Fatalf("batch %d after the burst: len %d cap %d, want 1 and at most %d", i, len(small), cap(small), maxSpareMsgs)
		}
		o.giveBack(small)
	}
	// Small batches cycle through the two arrays without allocating.
	cycle := func() {
		o.push(msg, 0, 1<<20)
		o.push(msg, 0, 1<<20)
		got, _ := o.take()
		o.giveBack(got)
	}
	cycle()
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Fatalf("%v allocations per small batch, want 0", n)
	}
}

// A queue closed by an overflow holds nothing.
func TestOutboundOverflowReleasesTheQueue(t *testing.T) {
	var o outbound
	for range 10 {
		o.push(outMsg{data: make([]byte, 100)}, 0, 1000)
	}
	if res, _ := o.push(outMsg{data: make([]byte, 100)}, 0, 1000); res != enqueueOverflow {
		t.Fatalf("11th push: %v, want overflow", res)
	}
	if o.msgs != nil || o.pending() != 0 {
		t.Fatalf("closed queue holds %d messages, %d bytes", len(o.msgs), o.pending())
	}
	if res, _ := o.push(outMsg{data: []byte("x")}, 0, 1000); res != enqueueClosed {
		t.Fatalf("push after overflow: %v", res)
	}
}
