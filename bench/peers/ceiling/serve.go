package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// serveConfig is one blast.
type serveConfig struct {
	addr       string
	conns      int
	count      int // frames per connection
	size       int // payload bytes per frame
	coalesce   bool
	batch      int           // frames per write when coalescing; 0 = all that are left
	rate       float64       // publications/s for a paced run; 0 = blast
	duration   time.Duration // paced run length
	startDelay time.Duration
	drainLimit time.Duration
}

// blastResult is what serve prints.
type blastResult struct {
	Mode          string  `json:"mode"`
	Conns         int     `json:"conns"`
	Lost          int     `json:"lost"`
	FramesPerConn int     `json:"frames_per_conn"`
	Size          int     `json:"payload_bytes"`
	FrameBytes    int     `json:"frame_bytes"`
	Batch         int     `json:"batch,omitempty"`
	Frames        int64   `json:"frames"`
	Bytes         int64   `json:"bytes"`
	Seconds       float64 `json:"seconds"`
	FramesPerSec  float64 `json:"frames_per_sec"`
	BytesPerSec   float64 `json:"bytes_per_sec"`
	CPUUser       float64 `json:"cpu_user_seconds"`
	CPUSys        float64 `json:"cpu_sys_seconds"`
	FramesPerCPUS float64 `json:"frames_per_cpu_second"`
	CPUUtil       float64 `json:"cpu_util"` // CPU seconds / seconds: near 1 means the writer, not the readers, set the pace
	Writes        int64   `json:"write_calls"`
	WouldBlock    int64   `json:"eagain"`
	EpollWaits    int64   `json:"epoll_waits"`
	DrainSeconds  float64 `json:"drain_seconds"`
	StartUnixNano int64   `json:"start_unix_ns"`
}

// serve accepts cfg.conns WebSocket connections, writes cfg.count frames to
// each as fast as it can, waits for the kernel to hand them over, and
// prints the result.
func serve(ctx context.Context, log *slog.Logger, cfg serveConfig, stdout io.Writer) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	stopClose := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stopClose()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	fds, err := acceptAll(ctx, log, ln, cfg.conns)
	_ = ln.Close()
	defer func() {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	}()
	if err != nil {
		return err
	}
	log.Info("all connected; blasting", "conns", len(fds), "start_delay", cfg.startDelay)
	select {
	case <-time.After(cfg.startDelay):
	case <-ctx.Done():
		return ctx.Err()
	}
	if cfg.rate > 0 {
		res, err := paced(ctx, fds, cfg)
		if err != nil {
			return err
		}
		if drain(ctx, fds, time.Now(), cfg.drainLimit) < 0 {
			return fmt.Errorf("send queues not empty %s after the last write", cfg.drainLimit)
		}
		return writeResult(stdout, res)
	}
	res, err := blast(ctx, fds, cfg)
	if err != nil {
		return err
	}
	res.DrainSeconds = drain(ctx, fds, time.Unix(0, res.StartUnixNano), cfg.drainLimit)
	return writeResult(stdout, res)
}

// acceptAll accepts and upgrades connections one at a time until n are up.
func acceptAll(ctx context.Context, log *slog.Logger, ln net.Listener, n int) ([]int, error) {
	fds := make([]int, 0, n)
	for len(fds) < n {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return fds, ctx.Err()
			}
			return fds, fmt.Errorf("accept: %w", err)
		}
		if err := serverHandshake(c, 10*time.Second); err != nil {
			log.Warn("handshake failed", "remote", c.RemoteAddr(), "err", err)
			_ = c.Close()
			continue
		}
		fd, err := detach(c)
		if err != nil {
			return fds, err
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// wconn is one connection's progress in a blast.
type wconn struct {
	fd      int
	written int64 // bytes written of the connection's total
	ready   bool  // writable as far as we know (cleared on EAGAIN)
}

// blast writes count frames to every fd from one thread: a pass offers each
// writable connection one write (one frame, or up to batch frames when
// coalescing); a connection whose socket buffer is full waits for its
// edge-triggered EPOLLOUT. The loop blocks only when no connection can take
// bytes.
func blast(ctx context.Context, fds []int, cfg serveConfig) (blastResult, error) {
	frame := encodeFrame(cfg.size)
	fl := int64(len(frame))
	batch := cfg.batch
	if !cfg.coalesce {
		batch = 1
	} else if batch <= 0 || batch > cfg.count {
		batch = cfg.count
	}
	buf := make([]byte, 0, (batch+1)*len(frame))
	for range batch + 1 {
		buf = append(buf, frame...)
	}
	total := int64(cfg.count) * fl
	maxWrite := int64(batch) * fl

	ep, err := newEpoll(len(fds))
	if err != nil {
		return blastResult{}, err
	}
	defer ep.close()
	byFD := make(map[int32]*wconn, len(fds))
	active := make([]*wconn, 0, len(fds))
	for _, fd := range fds {
		c := &wconn{fd: fd, ready: true}
		if err := ep.add(fd, unix.EPOLLOUT); err != nil {
			return blastResult{}, err
		}
		byFD[int32(fd)] = c
		active = append(active, c)
	}
	res := blastResult{Mode: "single", Conns: len(fds), FramesPerConn: cfg.count, Size: cfg.size, FrameBytes: len(frame)}
	if cfg.coalesce {
		res.Mode, res.Batch = "coalesce", batch
	}
	u0, s0 := cpuSeconds()
	start := time.Now()
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		anyReady := false
		for _, c := range active {
			if !c.ready {
				continue
			}
			off := c.written % fl
			n := min(total-c.written, maxWrite) // coalescing: frames left in the batch
			if !cfg.coalesce {
				n = fl - off // the rest of the current frame
			}
			w, outcome := writeOnce(c.fd, buf[off:off+n])
			res.Writes++
			switch outcome {
			case wouldBlock:
				c.ready = false
				res.WouldBlock++
				continue
			case peerGone:
				c.written = -1 // lost: the peer went away
			default:
				c.written += int64(w)
			}
			anyReady = anyReady || c.ready
		}
		kept := active[:0]
		for _, c := range active {
			switch {
			case c.written < 0:
				res.Lost++
			case c.written < total:
				kept = append(kept, c)
			default:
				res.Frames += int64(cfg.count)
			}
		}
		clear(active[len(kept):])
		active = kept
		if len(active) == 0 {
			break
		}
		wait := 0 // pick up newly writable connections between passes
		if !anyReady {
			wait = 100
		}
		evs, err := ep.wait(wait)
		if err != nil {
			return res, err
		}
		res.EpollWaits++
		for _, ev := range evs {
			if c := byFD[ev.Fd]; c != nil {
				c.ready = true
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	u1, s1 := cpuSeconds()
	res.StartUnixNano = start.UnixNano()
	res.Bytes = res.Frames * fl
	res.Seconds = round3(elapsed)
	res.FramesPerSec = round3(float64(res.Frames) / elapsed)
	res.BytesPerSec = round3(float64(res.Bytes) / elapsed)
	res.CPUUser, res.CPUSys = round3(u1-u0), round3(s1-s0)
	if cpu := (u1 - u0) + (s1 - s0); cpu > 0 {
		res.FramesPerCPUS = round3(float64(res.Frames) / cpu)
		res.CPUUtil = round3(cpu / elapsed)
	}
	if res.Lost > 0 {
		return res, fmt.Errorf("%d connections lost during the blast", res.Lost)
	}
	return res, nil
}

// drain waits until every socket's send queue is empty (all bytes acked by
// the receiving kernel) and returns the seconds since start; -1 if it did
// not happen within limit.
func drain(ctx context.Context, fds []int, start time.Time, limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		queued := 0
		for _, fd := range fds {
			n, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
			if err == nil {
				queued += n
			}
		}
		if queued == 0 {
			return round3(time.Since(start).Seconds())
		}
		time.Sleep(time.Millisecond)
	}
	return -1
}

var errUsage = errors.New("usage")
