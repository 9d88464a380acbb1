package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseCPUWithOddCommandName(t *testing.T) {
	stat := []byte("4242 (we ird) (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 100 0 0\n")
	got, sys, err := parseCPU(stat, 100)
	if err != nil || got != 3250*time.Millisecond || sys != 750*time.Millisecond {
		t.Fatalf("got %v (sys %v), %v; want 3.25s (sys 0.75s)", got, sys, err)
	}
	if _, _, err := parseCPU([]byte("1 (x) S 1 2"), 100); err == nil {
		t.Fatal("short stat accepted")
	}
}

func TestStatusKB(t *testing.T) {
	status := []byte("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
	if v, err := statusKB(status, "VmRSS:"); err != nil || v != 1024*1024 {
		t.Fatalf("VmRSS %d %v", v, err)
	}
	if _, err := statusKB(status, "VmSwap:"); err == nil {
		t.Fatal("missing key accepted")
	}
}

func TestReadSelfGrowsWithWork(t *testing.T) {
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.RSS <= 0 || a.Peak < a.RSS {
		t.Fatalf("rss %d peak %d", a.RSS, a.Peak)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	b, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.CPU-a.CPU < 100*time.Millisecond {
		t.Fatalf("300 ms of spinning counted as %v", b.CPU-a.CPU)
	}
}
