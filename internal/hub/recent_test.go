package hub

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
)

// Data stored before it was checked for UTF-8 is read back with U+FFFD in
// place of each bad sequence: still one JSON value, and a JSON client's
// push of it encodes.
func TestStoredDataThatIsNotUTF8IsReadAsValidJSON(t *testing.T) {
	body, err := (&protocol.Publication{Data: []byte("{\"t\":\"bad\xff\xfe!\"}")}).MarshalCF()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := decodePublication(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(pub.Data); got != "{\"t\":\"bad\uFFFD!\"}" || !json.Valid(pub.Data) {
		t.Fatalf("data read as %q", got)
	}
	if push := encodePush("room:a", pub, protocol.TypeJSON); push == nil {
		t.Fatal("the push of the repaired data does not encode")
	}
}

func cachedBody(t *testing.T, data string) []byte {
	t.Helper()
	body, err := (&protocol.Publication{Data: []byte(data)}).MarshalCF()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func offsetsOf(pubs []*protocol.Publication) []uint64 {
	var out []uint64
	for _, p := range pubs {
		out = append(out, p.Offset)
	}
	return out
}

// The recovery cache answers only for a contiguous run that reaches the
// channel's top and starts at or before the first offset asked for, holds
// its own copy of each body, and refuses entries older than the cutoff.
func TestRecoveryCacheServesOnlyWhatItHoldsWhole(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	r := recentPubs{max: 4}
	for off := uint64(1); off <= 6; off++ {
		body := cachedBody(t, fmt.Sprintf(`{"n":%d}`, off))
		r.add(off, base.Add(time.Duration(off)*time.Second), body, 100)
		clear(body) // the caller's buffer may be reused
	}
	pubs, ok, _ := r.since(3, 6, time.Time{}, 1<<20)
	if !ok || !slices.Equal(offsetsOf(pubs), []uint64{4, 5, 6}) {
		t.Fatalf("since 3 up to 6: ok %v, offsets %v; want 4 5 6", ok, offsetsOf(pubs))
	}
	if got := string(pubs[0].Data); got != `{"n":4}` {
		t.Fatalf("offset 4 decoded as %q: the cache must keep its own copy of the body", got)
	}
	if again, _, _ := r.since(4, 6, time.Time{}, 1<<20); again[0] != pubs[1] {
		t.Fatal("offset 5 was decoded a second time for the next recovery instead of being shared")
	}
	if _, ok, _ := r.since(1, 6, time.Time{}, 1<<20); ok {
		t.Fatal("offset 2 fell out of a ring of 4, yet the cache claimed to hold everything after 1")
	}
	if _, ok, _ := r.since(3, 7, time.Time{}, 1<<20); ok {
		t.Fatal("the cache ends at 6, yet claimed to answer up to a top of 7")
	}
	if _, ok, _ := r.since(3, 6, base.Add(5*time.Second), 1<<20); ok {
		t.Fatal("offset 4 was stored before the cutoff, yet the cache served it")
	}
	if pubs, ok, _ := r.since(4, 6, base.Add(5*time.Second), 1<<20); !ok || len(pubs) != 2 {
		t.Fatalf("offsets 5 and 6 are within the cutoff: ok %v, %d publications", ok, len(pubs))
	}
	if pubs, ok, _ := r.since(6, 6, time.Time{}, 1<<20); !ok || len(pubs) != 0 {
		t.Fatalf("nothing after the top: ok %v, %d publications; want ok and none", ok, len(pubs))
	}

	r.add(9, base, cachedBody(t, `{"n":9}`), 100)
	if _, ok, _ := r.since(5, 9, time.Time{}, 1<<20); ok {
		t.Fatal("offsets 7 and 8 never reached the cache, yet it claimed to hold everything after 5")
	}
	if pubs, ok, _ := r.since(8, 9, time.Time{}, 1<<20); !ok || !slices.Equal(offsetsOf(pubs), []uint64{9}) {
		t.Fatalf("after a gap the cache starts over at 9: ok %v, offsets %v", ok, offsetsOf(pubs))
	}
	for off := uint64(10); off <= 14; off++ {
		r.add(off, base, cachedBody(t, fmt.Sprintf(`{"n":%d}`, off)), 100)
	}
	pubs, ok, _ = r.since(10, 14, time.Time{}, 1<<20)
	if !ok || !slices.Equal(offsetsOf(pubs), []uint64{11, 12, 13, 14}) || string(pubs[3].Data) != `{"n":14}` {
		t.Fatalf("refilled past its size after starting over: ok %v, offsets %v", ok, offsetsOf(pubs))
	}
	if len(r.buf) != r.max {
		t.Fatalf("the ring holds %d entries of storage, want its size %d", len(r.buf), r.max)
	}
}

// A channel's cache takes storage for the publications it has seen, not
// for its full size at the first one.
func TestRecoveryCacheGrowsWithTheChannel(t *testing.T) {
	r := recentPubs{max: 128}
	r.add(1, time.Now(), cachedBody(t, `1`), 100)
	r.add(2, time.Now(), cachedBody(t, `2`), 100)
	if cap(r.buf) > 8 {
		t.Fatalf("two publications took storage for %d", cap(r.buf))
	}
	if pubs, ok, _ := r.since(0, 2, time.Time{}, 1<<20); !ok || !slices.Equal(offsetsOf(pubs), []uint64{1, 2}) {
		t.Fatalf("ok %v, offsets %v; want 1 2", ok, offsetsOf(pubs))
	}
}

// Publications that would not fit in one reply are reported as too large
// without being decoded: a refused recovery leaves nothing decoded behind.
func TestRecoveryCacheRefusesTooLargeWithoutDecoding(t *testing.T) {
	r := recentPubs{max: 8}
	for off := uint64(1); off <= 4; off++ {
		r.add(off, time.Now(), cachedBody(t, `"x"`), 100)
	}
	pubs, covered, tooLarge := r.since(1, 4, time.Time{}, 250)
	if !covered || !tooLarge || pubs != nil {
		t.Fatalf("3 × 100 bytes against a budget of 250: covered %v, too large %v, %d publications; want covered, too large, none", covered, tooLarge, len(pubs))
	}
	for i := range r.count {
		if r.buf[i].pub != nil {
			t.Fatalf("offset %d was decoded for a recovery that was refused", r.buf[i].offset)
		}
	}
	if pubs, covered, tooLarge = r.since(1, 4, time.Time{}, 300); !covered || tooLarge || len(pubs) != 3 {
		t.Fatalf("3 × 100 bytes against a budget of 300: covered %v, too large %v, %d publications; want all 3", covered, tooLarge, len(pubs))
	}
}

// A channel keeps no more publications for recovery than its history
// keeps, and none when its namespace has recovery off.
func TestRecoveryCacheSizeFollowsTheNamespace(t *testing.T) {
	for _, tc := range []struct {
		ns   Namespace
		want int
	}{
		{Namespace{HistorySize: 1000, Recovery: true}, 128},
		{Namespace{HistorySize: 5, Recovery: true}, 5},
		{Namespace{HistorySize: 1000, Recovery: false}, 0},
		{Namespace{HistorySize: 0, Recovery: true}, 0},
	} {
		if got := recoveryCacheSize(128, &tc.ns); got != tc.want {
			t.Errorf("history %d, recovery %v: %d cached; want %d", tc.ns.HistorySize, tc.ns.Recovery, got, tc.want)
		}
	}
}
