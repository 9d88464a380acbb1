package procstat

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
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

// The CPU time read from /proc agrees with what the kernel reports to the
// process itself (getrusage), whatever share of a core the test gets on a
// busy machine: it spins until getrusage has counted 300 ms.
func TestReadSelfMatchesRusage(t *testing.T) {
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.RSS <= 0 || a.Peak < a.RSS {
		t.Fatalf("rss %d peak %d", a.RSS, a.Peak)
	}
	r0 := rusageCPU(t)
	deadline := time.Now().Add(time.Minute)
	var spun time.Duration
	for x := 0; ; x++ {
		_ = x * x
		if x%1_000_000 != 0 {
			continue
		}
		if spun = rusageCPU(t) - r0; spun >= 300*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute of spinning got only %v of CPU", spun)
		}
	}
	b, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in clock ticks (10 ms): allow two of them, and the
	// runtime's own threads a little on top.
	if got := b.CPU - a.CPU; got < spun-20*time.Millisecond || got > spun+200*time.Millisecond {
		t.Fatalf("/proc counted %v while getrusage counted %v", got, spun)
	}
}

// rusageCPU is this process's user + system time as getrusage reports it.
func rusageCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

func TestParseSchedstat(t *testing.T) {
	if d, ok := parseSchedstat([]byte("7735201 1250000 12\n")); !ok || d != 1250*time.Microsecond {
		t.Fatalf("got %v %v", d, ok)
	}
	for _, bad := range []string{"", "1 2", "1 x 3", "1 -5 3"} {
		if _, ok := parseSchedstat([]byte(bad)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

// More busy processes than CPUs: some of them wait in the run queue, and
// the readings show it.
func TestRunDelayGrowsWhenProcessesCompete(t *testing.T) {
	var pids []int
	for range runtime.NumCPU() + 1 {
		cmd := exec.Command("sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		pids = append(pids, cmd.Process.Pid)
	}
	total := func() time.Duration {
		var d time.Duration
		for _, pid := range pids {
			d += runDelay(pid)
		}
		return d
	}
	deadline := time.Now().Add(time.Minute)
	for total() < 50*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("%d spinning processes on %d CPUs: run-queue delay %v after a minute", len(pids), runtime.NumCPU(), total())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var waited time.Duration
	for _, pid := range pids {
		s, err := Read(pid)
		if err != nil {
			t.Fatal(err)
		}
		waited += s.Waited
	}
	if waited < 50*time.Millisecond {
		t.Fatalf("Read: waited %v in all, want at least 50ms", waited)
	}
}
