package main

import "testing"

// Every run of Rooms publications visits every room exactly once, and
// with the rooms split in blocks over tool processes, consecutive
// publications are spread over the processes instead of staying in one
// block.
func TestRoomOrderVisitsEveryRoomAndSpreadsOverProcesses(t *testing.T) {
	for _, rooms := range []int{1, 2, 3, 7, 10, 900, 1000, 1024} {
		p := pubPlan{Rooms: rooms}
		for cycle := int64(0); cycle < 2; cycle++ {
			seen := make([]bool, rooms)
			for j := cycle * int64(rooms); j < (cycle+1)*int64(rooms); j++ {
				r := p.roomOf(j)
				if r < 0 || r >= rooms || seen[r] {
					t.Fatalf("%d rooms: publication %d goes to room %d (seen before: %v)", rooms, j, r, r >= 0 && r < rooms && seen[r])
				}
				seen[r] = true
			}
		}
	}
	// 900 rooms over 2 processes (rooms 0–449 and 450–899): in any 100
	// consecutive publications each process gets between 40 and 60.
	p := pubPlan{Rooms: 900}
	for start := int64(0); start < 900; start += 37 {
		first := 0
		for j := start; j < start+100; j++ {
			if p.roomOf(j) < 450 {
				first++
			}
		}
		if first < 40 || first > 60 {
			t.Fatalf("publications %d–%d: %d of 100 to the first process's rooms; want 40–60", start, start+99, first)
		}
	}
}
