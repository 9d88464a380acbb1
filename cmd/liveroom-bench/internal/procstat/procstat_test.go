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

func TestParseMachineBusy(t *testing.T) {
	stat := []byte("cpu  100 5 50 1000 20 3 2 10 0 0\ncpu0 50 2 25 500 10 1 1 5 0 0\n")
	got, err := parseMachineBusy(stat, 100)
	if err != nil || got != 1700*time.Millisecond {
		t.Fatalf("got %v, %v; want 1.7s", got, err)
	}
	if _, err := parseMachineBusy([]byte("intr 1 2 3\n"), 100); err == nil {
		t.Fatal("wrong line accepted")
	}
	if _, err := ReadMachine(); err != nil {
		t.Fatal(err)
	}
}
