package connlimit

import (
	"sync"
	"testing"
)

// Concurrent takers never get more places than the limit, a release makes
// room for exactly one more, and a zero limit only counts.
func TestTakeNeverPassesTheLimit(t *testing.T) {
	const max, takers = 50, 200
	l := New(max)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Take() {
				mu.Lock()
				got++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got != max || l.Open() != max {
		t.Fatalf("%d takers of %d places got %d (open %d); want %d", takers, max, got, l.Open(), max)
	}
	if l.Take() {
		t.Fatal("a take at the limit succeeded")
	}
	l.Release()
	if !l.Take() || l.Take() {
		t.Fatal("after one release exactly one take should succeed")
	}

	free := New(0)
	for range 1000 {
		if !free.Take() {
			t.Fatal("a limit of 0 refused a take")
		}
	}
	if free.Open() != 1000 || free.Max() != 0 {
		t.Fatalf("unlimited: open %d max %d; want 1000 and 0", free.Open(), free.Max())
	}
}

func TestClientsOfLeavesHeadroomForHTTP(t *testing.T) {
	for _, c := range []struct{ total, want int }{
		{0, 0}, {1, 1}, {4, 3}, {64, 48}, {768, 704}, {19600, 19208},
	} {
		if got := ClientsOf(c.total); got != c.want {
			t.Errorf("ClientsOf(%d) = %d; want %d", c.total, got, c.want)
		}
	}
}
