package hub

import (
	"math/rand/v2"
	"testing"
)

// A smallMap agrees with a Go map through any sequence of puts and
// removes, across the switch from its slice to a map and back to empty.
func TestSmallMapAgreesWithAMap(t *testing.T) {
	for _, keys := range []int{2, smallMapFew, 3 * smallMapFew} {
		rng := rand.New(rand.NewPCG(1, uint64(keys)))
		var m smallMap[int, int]
		want := map[int]int{}
		for step := 0; step < 20000; step++ {
			k := rng.IntN(keys)
			if rng.IntN(3) > 0 {
				m.put(k, step)
				want[k] = step
			} else {
				v, ok := m.remove(k)
				wv, wok := want[k]
				if ok != wok || v != wv {
					t.Fatalf("keys %d step %d: remove(%d) = %d %v; want %d %v", keys, step, k, v, ok, wv, wok)
				}
				delete(want, k)
			}
			if m.len() != len(want) {
				t.Fatalf("keys %d step %d: len %d; want %d", keys, step, m.len(), len(want))
			}
			seen := map[int]bool{}
			for k, v := range m.all() {
				if seen[k] || want[k] != v {
					t.Fatalf("keys %d step %d: all yielded %d=%d (seen before: %v); want %d", keys, step, k, v, seen[k], want[k])
				}
				seen[k] = true
			}
			if len(seen) != len(want) {
				t.Fatalf("keys %d step %d: all yielded %d entries; want %d", keys, step, len(seen), len(want))
			}
			for k := 0; k < keys; k++ {
				v, ok := m.get(k)
				wv, wok := want[k]
				if v != wv || ok != wok {
					t.Fatalf("keys %d step %d: get(%d) = %d %v; want %d %v", keys, step, k, v, ok, wv, wok)
				}
			}
		}
	}
}
