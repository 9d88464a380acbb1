package main

import (
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/pushscan"
)

// The offset check per subscriber: in order is fine, a jump is a loss of
// what was skipped, an offset seen again (or going back) is a duplicate; a
// subscriber that stopped before the last published offset lost the rest.
func TestDeliverCountsLossAndDuplicates(t *testing.T) {
	f := &fleet{}
	a := &subscriber{i: 0}
	b := &subscriber{i: 1}
	c := &subscriber{i: 2}
	now := time.Now().UnixNano()
	for _, off := range []uint64{1, 2, 3, 4, 5} {
		f.deliver(a, pushscan.Pub{TS: now, Offset: off}, now)
	}
	for _, off := range []uint64{1, 2, 5, 5, 3} { // 3 and 4 skipped, 5 twice, then 3 late
		f.deliver(b, pushscan.Pub{TS: now, Offset: off}, now)
	}
	for _, off := range []uint64{1, 2} { // stops early
		f.deliver(c, pushscan.Pub{TS: now, Offset: off}, now)
	}
	if got := f.totalDelivered(); got != 12 {
		t.Fatalf("delivered %d, want 12", got)
	}
	if f.gaps.Load() != 2 || f.repeats.Load() != 2 {
		t.Fatalf("gaps %d repeats %d, want 2 and 2", f.gaps.Load(), f.repeats.Load())
	}
	ag := &agent{f: &fleet{subs: []*subscriber{a, b, c}}}
	got := ag.losses(5)
	want := lossReport{Clients: 3, WithLoss: 2, WithDup: 1, Lost: 2 + 3, Dup: 2, MaxLost: 3, MaxDup: 2, BehindFinal: 1}
	if got != want {
		t.Fatalf("losses %+v, want %+v", got, want)
	}
}

// Recovered publications in a subscribe reply count like live ones; a
// reply that says the position moved on without them is a loss; a new
// epoch restarts the positions.
func TestSubscribeReplyPositions(t *testing.T) {
	f := &fleet{}
	s := &subscriber{}
	now := time.Now().UnixNano()
	// First subscription: the channel is at 10.
	f.position(s, subReply{Positioned: true, Offset: 10, Epoch: "e"}, now)
	f.deliver(s, pushscan.Pub{TS: now, Offset: 11}, now)
	// Back with recovery: 12 and 13 recovered, top 13.
	f.position(s, subReply{Positioned: true, Offset: 13, Epoch: "e", WasRecovering: true, Recovered: true,
		Pubs: []pushscan.Pub{{TS: now, Offset: 12}, {TS: now, Offset: 13}}}, now)
	// Back without recovery: the channel moved to 20, 14 … 20 were missed.
	f.position(s, subReply{Positioned: true, Offset: 20, Epoch: "e", WasRecovering: true}, now)
	if f.recovered.Load() != 1 || f.unrecovered.Load() != 1 {
		t.Fatalf("recovered %d, not recovered %d", f.recovered.Load(), f.unrecovered.Load())
	}
	if s.lost.Load() != 7 || s.dup.Load() != 0 || s.last.Load() != 20 || f.totalDelivered() != 3 {
		t.Fatalf("lost %d dup %d last %d delivered %d", s.lost.Load(), s.dup.Load(), s.last.Load(), f.totalDelivered())
	}
	// Recovered publications the subscriber had already: duplicates.
	f.position(s, subReply{Positioned: true, Offset: 20, Epoch: "e", WasRecovering: true, Recovered: true,
		Pubs: []pushscan.Pub{{TS: now, Offset: 19}, {TS: now, Offset: 20}}}, now)
	if s.dup.Load() != 2 {
		t.Fatalf("dup %d, want 2", s.dup.Load())
	}
	// A new epoch: the history was lost; positions restart.
	f.position(s, subReply{Positioned: true, Offset: 2, Epoch: "f", WasRecovering: true}, now)
	if f.epochChanged.Load() != 1 || s.last.Load() != 2 {
		t.Fatalf("epoch changed %d, last %d", f.epochChanged.Load(), s.last.Load())
	}
}
