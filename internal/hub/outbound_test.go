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

// Under sustained load (every batch tens of messages) the two arrays are
// reused without allocating; the first small batches afterwards let them go.
func TestOutboundKeepsArraysInUseAndDropsThemAfter(t *testing.T) {
	var o outbound
	msg := outMsg{data: []byte("x")}
	batch := func(n int) []outMsg {
		for range n {
			if res, _ := o.push(msg, 0, 1<<20); res != enqueued {
				t.Fatalf("push: %v", res)
			}
		}
		got, _ := o.take()
		if len(got) != n {
			t.Fatalf("took %d, want %d", len(got), n)
		}
		return got
	}
	for range 4 {
		o.giveBack(batch(100))
	}
	if n := testing.AllocsPerRun(50, func() { o.giveBack(batch(100)) }); n != 0 {
		t.Fatalf("%v allocations per batch of 100 under sustained load, want 0", n)
	}
	for range 2 {
		o.giveBack(batch(1))
	}
	if small := batch(1); cap(small) > maxSpareMsgs {
		t.Fatalf("after two small batches the queue still uses an array of %d entries", cap(small))
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
