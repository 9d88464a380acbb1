//go:build linux

// Package fslimit makes a store's writes fail for real in tests: it lowers
// the process's file-size limit (RLIMIT_FSIZE) just above the largest file
// of a directory, so the next write that grows a file past it fails with
// EFBIG, as a full disk fails with ENOSPC. The limit is process-wide: tests
// using it must not run in parallel with others. The Go runtime ignores the
// SIGXFSZ that comes with EFBIG. It imports nothing of liveroom, so any
// package's tests can use it.
package fslimit

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// LargestFile is the size in bytes of the largest file under dir.
func LargestFile(t testing.TB, dir string) uint64 {
	t.Helper()
	var largest int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		largest = max(largest, info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uint64(largest)
}

// Lower sets the file-size limit to headroom bytes above the largest file
// under dir and returns a function that puts the previous limit back; it
// also runs when the test ends. It skips the test when the limit cannot be
// lowered (or is already lower).
func Lower(t testing.TB, dir string, headroom uint64) (restore func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limit := LargestFile(t, dir) + headroom
	if old.Cur < limit {
		t.Skipf("file-size limit already %d bytes", old.Cur)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Skipf("cannot lower the file-size limit: %v", err)
	}
	restored := false
	restore = func() {
		if restored {
			return
		}
		restored = true
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("restore the file-size limit: %v", err)
		}
	}
	t.Cleanup(restore)
	return restore
}
