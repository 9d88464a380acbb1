package main

import "testing"

func TestParseGCTrace(t *testing.T) {
	line := []byte("gc 12 @3.456s 1%: 0.011+1.2+0.003 ms clock, 0.011+0.1/0.5/0+0.003 ms cpu, 41->45->22 MB, 46 MB goal, 3 MB stacks, 0 MB globals, 1 P")
	h, ok := parseGCTrace(line)
	if !ok || h.GC != 12 || h.LiveMB != 22 || h.GoalMB != 46 || h.StacksMB != 3 {
		t.Fatalf("got %+v %v", h, ok)
	}
	for _, bad := range []string{"", "gc", "gc x @1s", "time=… level=INFO msg=gc", "gc 3 @1s 0%: no sizes"} {
		if _, ok := parseGCTrace([]byte(bad)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}
