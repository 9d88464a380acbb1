package main

import (
	"slices"
	"testing"
)

// runSearch runs a search from 5/s against a server that keeps up at the
// rates keepsUp says, and returns the rates measured.
func runSearch(keepsUp func(rate float64) bool) (s rateSearch, path []float64, done bool, err error) {
	s = rateSearch{rate: 5}
	for range 30 {
		path = append(path, s.rate)
		if done, err = s.next(keepsUp(s.rate)); done || err != nil {
			break
		}
	}
	return s, path, done, err
}

func TestRateSearchBracketsTheCapacity(t *testing.T) {
	s, path, done, err := runSearch(func(r float64) bool { return r <= 30 })
	// 40 fails, the look ahead at 80 too; then the bracket [20, 40] narrows.
	if want := []float64{5, 10, 20, 40, 80, 28.3, 33.6, 30.8}; !done || err != nil || !slices.Equal(path, want) {
		t.Fatalf("path %v (done %v, %v), want %v", path, done, err, want)
	}
	if s.lo != 28.3 || s.hi != 30.8 {
		t.Fatalf("bracket [%v, %v], want [28.3, 30.8]", s.lo, s.hi)
	}
}

// A server that batches can fail at one rate and keep up at twice it.
func TestRateSearchLooksPastTheFirstFailure(t *testing.T) {
	s, path, done, err := runSearch(func(r float64) bool { return r != 20 && r <= 100 })
	if !done || err != nil || !slices.Contains(path, 40.0) || s.lo < 90 || s.lo > 100 || s.hi <= 100 || s.hi/s.lo > 1.1 {
		t.Fatalf("path %v, bracket [%v, %v] (done %v, %v): want the look ahead at 40 and a bracket around 100", path, s.lo, s.hi, done, err)
	}
}

func TestRateSearchGivesUp(t *testing.T) {
	_, path, _, err := runSearch(func(float64) bool { return false })
	if err == nil || !slices.Equal(path, []float64{5, 2.5, 1.25, 0.625}) {
		t.Fatalf("path %v, err %v: want an error after 0.625/s", path, err)
	}
}
