// Package procstat reads a process's CPU time and resident memory from
// Linux's /proc, for measuring a server from outside it.
package procstat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// Sample is one reading of a process.
type Sample struct {
	At   time.Time
	CPU  time.Duration // user + system time since the process started
	Sys  time.Duration // the system (kernel) part of CPU
	RSS  int64         // resident set size in bytes (VmRSS)
	Peak int64         // highest resident set size in bytes (VmHWM)
	// Waited is the time the process's threads spent runnable but waiting
	// for a CPU (the run-queue delay of /proc/PID/task/*/schedstat), summed
	// over the threads alive now: on a shared machine, how much other work
	// held the process back. 0 when the kernel does not report it.
	Waited time.Duration
}

// Read samples process pid ("self" is not accepted: use os.Getpid()).
func Read(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Sample{}, fmt.Errorf("procstat: %w", err)
	}
	if s.CPU, s.Sys, err = parseCPU(stat, clockTicks()); err != nil {
		return Sample{}, fmt.Errorf("procstat: pid %d: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Sample{}, fmt.Errorf("procstat: %w", err)
	}
	if s.RSS, err = statusKB(status, "VmRSS:"); err != nil {
		return Sample{}, fmt.Errorf("procstat: pid %d: %w", pid, err)
	}
	if s.Peak, err = statusKB(status, "VmHWM:"); err != nil {
		return Sample{}, fmt.Errorf("procstat: pid %d: %w", pid, err)
	}
	s.Waited = runDelay(pid)
	return s, nil
}

// runDelay sums the run-queue delay of every thread of pid. Threads that
// exited took theirs with them, so compare readings of long-lived
// processes only (a Go runtime keeps its threads).
func runDelay(pid int) time.Duration {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		if d, ok := parseSchedstat(data); ok {
			total += d
		}
	}
	return total
}

// parseSchedstat reads the second field of a schedstat line: "on-CPU ns,
// run-queue wait ns, time slices".
func parseSchedstat(data []byte) (time.Duration, bool) {
	f := bytes.Fields(data)
	if len(f) < 3 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return time.Duration(v), true
}

// parseCPU returns utime + stime and stime alone (fields 14 and 15 of
// /proc/<pid>/stat, in clock ticks) as durations. The command name (field 2)
// is in parentheses and may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseCPU(stat []byte, ticksPerSecond int64) (total, sys time.Duration, err error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("stat has no command name: %q", stat)
	}
	fields := bytes.Fields(stat[i+1:]) // fields[0] is field 3 (state)
	if len(fields) < 13 {
		return 0, 0, fmt.Errorf("stat has %d fields after the name", len(fields))
	}
	var ticks [2]int64
	for j, f := range fields[11:13] {
		if ticks[j], err = strconv.ParseInt(string(f), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("stat cpu field: %w", err)
		}
	}
	unit := time.Second / time.Duration(ticksPerSecond)
	return time.Duration(ticks[0]+ticks[1]) * unit, time.Duration(ticks[1]) * unit, nil
}

// statusKB returns the value of a "Key:  123 kB" line of /proc/<pid>/status
// in bytes.
func statusKB(status []byte, key string) (int64, error) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte(key))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("status line %q", line)
		}
		v, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status %s: %w", key, err)
		}
		return v * 1024, nil
	}
	return 0, fmt.Errorf("status has no %s line", key)
}

// atClkTck is the auxiliary vector entry holding the kernel's USER_HZ.
const atClkTck = 17

var clockTicks = sync.OnceValue(func() int64 {
	// The kernel passes USER_HZ (the unit of /proc times) to every process
	// in its auxiliary vector; it is 100 on every common configuration.
	auxv, err := os.ReadFile("/proc/self/auxv")
	if err == nil {
		for i := 0; i+16 <= len(auxv); i += 16 {
			if binary.NativeEndian.Uint64(auxv[i:]) == atClkTck {
				if v := int64(binary.NativeEndian.Uint64(auxv[i+8:])); v > 0 {
					return v
				}
			}
		}
	}
	return 100
})

// Machine is one reading of the whole machine's CPU time (/proc/stat).
type Machine struct {
	At   time.Time
	Busy time.Duration // all CPUs: time not idle and not waiting for I/O
}

// ReadMachine samples the CPU time of all CPUs.
func ReadMachine() (Machine, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Machine{}, fmt.Errorf("procstat: %w", err)
	}
	busy, err := parseMachineBusy(data, clockTicks())
	if err != nil {
		return Machine{}, fmt.Errorf("procstat: /proc/stat: %w", err)
	}
	return Machine{At: time.Now(), Busy: busy}, nil
}

// parseMachineBusy reads the "cpu" line of /proc/stat: user nice system
// idle iowait irq softirq steal …, in clock ticks. Busy is everything but
// idle and iowait (guest time is already inside user).
func parseMachineBusy(stat []byte, ticksPerSecond int64) (time.Duration, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, fmt.Errorf("first line %q", line)
	}
	var busy int64
	for i, x := range f[1:9] {
		v, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu field %d: %w", i+1, err)
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return time.Duration(busy) * time.Second / time.Duration(ticksPerSecond), nil
}
