package main

import (
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// detach takes the socket out of Go's network poller: it duplicates the
// descriptor, closes the net.Conn (which does not end the connection while
// the duplicate is open) and returns the duplicate, non-blocking, for the
// caller's own epoll loop. The caller closes it.
func detach(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		_ = c.Close()
		return -1, fmt.Errorf("detach: %T has no descriptor", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		_ = c.Close()
		return -1, fmt.Errorf("detach: %w", err)
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(f uintptr) { fd, dupErr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		_ = c.Close()
		return -1, fmt.Errorf("detach: %w", err)
	}
	_ = c.Close()
	if dupErr != nil {
		return -1, fmt.Errorf("detach: dup: %w", dupErr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("detach: %w", err)
	}
	return fd, nil
}

// cpuSeconds is the process's user and system CPU time so far.
func cpuSeconds() (user, sys float64) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return float64(ru.Utime.Nano()) / 1e9, float64(ru.Stime.Nano()) / 1e9
}

// epoll is an epoll instance with a reusable event buffer.
type epoll struct {
	fd     int
	events []unix.EpollEvent
}

func newEpoll(size int) (*epoll, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	return &epoll{fd: fd, events: make([]unix.EpollEvent, max(size, 16))}, nil
}

// add registers fd, edge-triggered, for events.
func (e *epoll) add(fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events | unix.EPOLLET, Fd: int32(fd)}
	if err := unix.EpollCtl(e.fd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl add %d: %w", fd, err)
	}
	return nil
}

// wait returns the ready events, waiting up to msec milliseconds.
func (e *epoll) wait(msec int) ([]unix.EpollEvent, error) {
	for {
		n, err := unix.EpollWait(e.fd, e.events, msec)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("epoll_wait: %w", err)
		}
		return e.events[:n], nil
	}
}

func (e *epoll) close() { _ = unix.Close(e.fd) }

// writeOutcome is what one non-blocking write did.
type writeOutcome int

const (
	wrote      writeOutcome = iota // n bytes were taken (n may be 0 after EINTR)
	wouldBlock                     // the socket buffer is full: wait for EPOLLOUT
	peerGone                       // the connection is lost
)

// writeOnce makes one write(2) of p to a non-blocking socket.
func writeOnce(fd int, p []byte) (int, writeOutcome) {
	n, err := unix.Write(fd, p)
	switch {
	case err == unix.EAGAIN:
		return 0, wouldBlock
	case err == unix.EINTR:
		return 0, wrote
	case err != nil:
		return 0, peerGone
	}
	return n, wrote
}
