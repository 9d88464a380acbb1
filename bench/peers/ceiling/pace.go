package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// stampDigits is the width of the send time a paced frame carries: Unix
// nanoseconds, zero-padded, right after the payload's opening quote.
const stampDigits = 19

// minStampedSize is the smallest payload that holds a quote, the stamp and
// a closing quote.
const minStampedSize = stampDigits + 2

// stamp writes t (Unix ns) into frame's payload, which starts at hdr bytes.
func stamp(frame []byte, hdr int, t int64) {
	var digits [stampDigits]byte
	s := strconv.AppendInt(digits[:0], t, 10)
	at := frame[hdr+1 : hdr+1+stampDigits]
	pad := stampDigits - len(s)
	for i := range pad {
		at[i] = '0'
	}
	copy(at[pad:], s)
}

// pacedResult is what a paced serve prints.
type pacedResult struct {
	Mode          string  `json:"mode"` // "paced-single" or "paced-coalesce"
	Conns         int     `json:"conns"`
	Lost          int     `json:"lost"`
	Rate          float64 `json:"rate"` // publications per second
	Publications  int     `json:"publications"`
	FrameBytes    int     `json:"frame_bytes"`
	Frames        int64   `json:"frames"`
	Seconds       float64 `json:"seconds"`
	FramesPerSec  float64 `json:"frames_per_sec"`
	CPUUser       float64 `json:"cpu_user_seconds"`
	CPUSys        float64 `json:"cpu_sys_seconds"`
	CPUUtil       float64 `json:"cpu_util"`
	Writes        int64   `json:"write_calls"`
	WouldBlock    int64   `json:"eagain"`
	MaxLateMs     float64 `json:"max_enqueue_late_ms"` // worst delay between a publication's schedule and its append to the log
	StartUnixNano int64   `json:"start_unix_ns"`
}

// pconn is one connection's position in the shared log.
type pconn struct {
	fd      int
	written int  // bytes of the log written to this socket; -1 once lost
	ready   bool // writable as far as we know (cleared on EAGAIN)
}

// paced is the floor of a broadcast at a fixed rate: publication k is due
// at start + k/rate and carries that time as its stamp, so a late writer
// shows up as latency (no coordinated omission). Due publications are
// appended, framed once, to one log shared by every connection; each
// connection holds only how many bytes of the log it has been sent. A pass
// offers every writable connection that is behind one write: the rest of
// the log (coalescing) or the rest of its current frame (single). When no
// connection can take bytes the thread sleeps in epoll_wait until the next
// publication is due.
func paced(ctx context.Context, fds []int, cfg serveConfig) (pacedResult, error) {
	frame := encodeFrame(cfg.size)
	fl := len(frame)
	hdr := fl - cfg.size
	pubs := int(math.Round(cfg.rate * cfg.duration.Seconds()))
	res := pacedResult{Mode: "paced-single", Conns: len(fds), Rate: cfg.rate, Publications: pubs, FrameBytes: fl}
	if cfg.coalesce {
		res.Mode = "paced-coalesce"
	}
	maxWrite := fl
	if cfg.coalesce {
		maxWrite = pubs * fl
		if cfg.batch > 0 {
			maxWrite = cfg.batch * fl
		}
	}
	ep, err := newEpoll(len(fds))
	if err != nil {
		return res, err
	}
	defer ep.close()
	byFD := make(map[int32]*pconn, len(fds))
	active := make([]*pconn, 0, len(fds))
	for _, fd := range fds {
		c := &pconn{fd: fd, ready: true}
		if err := ep.add(fd, unix.EPOLLOUT); err != nil {
			return res, err
		}
		byFD[int32(fd)] = c
		active = append(active, c)
	}
	log := make([]byte, 0, pubs*fl)
	interval := float64(time.Second) / cfg.rate
	u0, s0 := cpuSeconds()
	start := time.Now()
	res.StartUnixNano = start.UnixNano()
	var maxLate time.Duration
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		now := time.Now()
		due := min(pubs, int(float64(now.Sub(start))/interval)+1)
		for k := len(log) / fl; k < due; k++ {
			at := start.Add(time.Duration(float64(k) * interval))
			maxLate = max(maxLate, now.Sub(at))
			log = append(log, frame...)
			stamp(log[k*fl:], hdr, at.UnixNano())
		}
		anyReady := false
		for _, c := range active {
			if !c.ready || c.written >= len(log) {
				continue
			}
			n := min(len(log)-c.written, maxWrite-c.written%maxWrite)
			if !cfg.coalesce {
				n = fl - c.written%fl
			}
			w, outcome := writeOnce(c.fd, log[c.written:c.written+n])
			res.Writes++
			switch outcome {
			case wouldBlock:
				c.ready = false
				res.WouldBlock++
				continue
			case peerGone:
				c.written = -1
				continue
			}
			c.written += w
			anyReady = anyReady || c.written < len(log)
		}
		kept := active[:0]
		for _, c := range active {
			switch {
			case c.written < 0:
				res.Lost++
			case len(log) == pubs*fl && c.written == len(log):
				res.Frames += int64(pubs)
			default:
				kept = append(kept, c)
			}
		}
		clear(active[len(kept):])
		active = kept
		if len(active) == 0 {
			break
		}
		wait := 0
		if !anyReady {
			wait = 100
			if due < pubs {
				next := start.Add(time.Duration(float64(due) * interval))
				wait = int(math.Ceil(float64(time.Until(next)) / float64(time.Millisecond)))
				wait = max(0, min(wait, 100))
			}
		}
		evs, err := ep.wait(wait)
		if err != nil {
			return res, err
		}
		for _, ev := range evs {
			if c := byFD[ev.Fd]; c != nil {
				c.ready = true
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	u1, s1 := cpuSeconds()
	res.Seconds = round3(elapsed)
	res.FramesPerSec = round3(float64(res.Frames) / elapsed)
	res.CPUUser, res.CPUSys = round3(u1-u0), round3(s1-s0)
	res.CPUUtil = round3(((u1 - u0) + (s1 - s0)) / elapsed)
	res.MaxLateMs = round3(float64(maxLate) / float64(time.Millisecond))
	if res.Lost > 0 {
		return res, fmt.Errorf("%d connections lost during the paced run", res.Lost)
	}
	return res, nil
}
