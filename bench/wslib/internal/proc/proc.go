// Package proc reads a process's resident memory and CPU time from Linux's
// /proc file system.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// RSS returns the resident set size (VmRSS) of process pid in bytes; pid 0
// means this process.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(path(pid, "status"))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "12345", "kB"
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("proc: odd VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc: VmRSS: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("proc: no VmRSS in %s", path(pid, "status"))
}

// CPUTicks returns utime+stime of process pid (all its threads) in clock
// ticks (USER_HZ, see `getconf CLK_TCK`); pid 0 means this process.
func CPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(path(pid, "stat"))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces, so
	// count fields from the last ')': state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc: odd stat %q", b)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("proc: short stat %q", b)
	}
	var sum int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc: stat: %w", err)
		}
		sum += v
	}
	return sum, nil
}

func path(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}

// CPUBusy returns the busy and total clock ticks of CPU cpu since boot,
// from /proc/stat (busy: everything but idle and iowait). The difference of
// two readings, less the ticks of the processes pinned there, is the load
// that other work put on that CPU meanwhile.
func CPUBusy(cpu int) (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	name := []byte("cpu" + strconv.Itoa(cpu))
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) < 6 || !bytes.Equal(f[0], name) {
			continue
		}
		// user nice system idle iowait irq softirq steal; guest time is
		// already inside user.
		for i, s := range f[1:min(9, len(f))] {
			v, err := strconv.ParseInt(string(s), 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("proc: /proc/stat: %w", err)
			}
			total += v
			if i != 3 && i != 4 { // idle, iowait
				busy += v
			}
		}
		return busy, total, nil
	}
	return 0, 0, fmt.Errorf("proc: no %s in /proc/stat", name)
}
