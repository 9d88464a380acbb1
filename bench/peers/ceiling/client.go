package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// clientConfig is the counting client's command line.
type clientConfig struct {
	url         string
	conns       int
	count       int
	size        int
	sourceAddrs int
	dialers     int
	timeout     time.Duration
	latency     bool // read each frame's send time (a paced serve) and report percentiles
}

// countResult is what the client prints.
type countResult struct {
	Conns         int            `json:"conns"`
	Complete      int            `json:"complete"`
	Frames        int64          `json:"frames"`
	Bytes         int64          `json:"bytes"`
	Seconds       float64        `json:"seconds"` // first byte to last frame
	FramesPerSec  float64        `json:"frames_per_sec"`
	CPUUser       float64        `json:"cpu_user_seconds"`
	CPUSys        float64        `json:"cpu_sys_seconds"`
	Reads         int64          `json:"read_calls"`
	FirstUnixNano int64          `json:"first_byte_unix_ns"`
	DoneUnixNano  int64          `json:"done_unix_ns"`
	Latency       *latencyResult `json:"latency,omitempty"` // send time to read, with -latency
}

// rconn is one counted connection.
type rconn struct {
	fd      int
	counter frameCounter
	early   []byte // bytes read with the handshake answer
}

// runClient opens cfg.conns connections and counts frames until each has
// cfg.count, then prints the result.
func runClient(ctx context.Context, log *slog.Logger, cfg clientConfig, stdout io.Writer) error {
	u, err := url.Parse(cfg.url)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: want http://host:port", cfg.url)
	}
	conns, err := dialAll(ctx, cfg, u.Host)
	defer func() {
		for _, c := range conns {
			_ = unix.Close(c.fd)
		}
	}()
	if err != nil {
		return err
	}
	log.Info("all connected; counting", "conns", len(conns))
	res, err := count(ctx, conns, cfg)
	if err != nil {
		return err
	}
	return writeResult(stdout, res)
}

// dialAll connects from loopback source addresses with cfg.dialers
// goroutines, which all end before it returns.
func dialAll(ctx context.Context, cfg clientConfig, host string) ([]*rconn, error) {
	conns := make([]*rconn, cfg.conns)
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range max(cfg.dialers, 1) {
		wg.Go(func() {
			for i := range next {
				c, err := dialOne(ctx, cfg, host, i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				conns[i] = c
				mu.Unlock()
			}
		})
	}
feed:
	for i := range cfg.conns {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if firstErr == nil && len(out) < cfg.conns {
		firstErr = ctx.Err()
	}
	return out, firstErr
}

func dialOne(ctx context.Context, cfg clientConfig, host string, i int) (*rconn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if cfg.sourceAddrs > 1 {
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%min(cfg.sourceAddrs, 254)))}
	}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("dial %d: %w", i, err)
	}
	early, err := clientHandshake(c, host, 10*time.Second)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("connection %d: %w", i, err)
	}
	fd, err := detach(c)
	if err != nil {
		return nil, err
	}
	return &rconn{fd: fd, counter: frameCounter{size: int64(cfg.size)}, early: early}, nil
}

// count reads every connection from one thread until each has its frames.
func count(ctx context.Context, conns []*rconn, cfg clientConfig) (countResult, error) {
	res := countResult{Conns: len(conns)}
	want := int64(cfg.count)
	ep, err := newEpoll(len(conns))
	if err != nil {
		return res, err
	}
	defer ep.close()
	byFD := make(map[int32]*rconn, len(conns))
	for _, c := range conns {
		if err := ep.add(c.fd, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
			return res, err
		}
		byFD[int32(c.fd)] = c
	}
	buf := make([]byte, 256<<10)
	var first, done time.Time
	var hist *usHistogram
	var readAt int64 // Unix ns of the read being fed; one clock read per read call
	if cfg.latency {
		hist = newUSHistogram()
		for _, c := range conns {
			c.counter.onStamp = func(t int64) { hist.record(time.Duration(readAt - t)) }
		}
	}
	// take feeds bytes to c's counter and reports whether c just completed.
	take := func(c *rconn, p []byte) (bool, error) {
		if first.IsZero() && len(p) > 0 {
			first = time.Now()
		}
		before := c.counter.frames
		if err := c.counter.feed(p); err != nil {
			return false, fmt.Errorf("connection fd %d: %w", c.fd, err)
		}
		if c.counter.frames > want {
			return false, fmt.Errorf("connection fd %d: %d frames, want %d", c.fd, c.counter.frames, want)
		}
		res.Bytes += int64(len(p))
		return before < want && c.counter.frames == want, nil
	}
	readAt = time.Now().UnixNano() // early bytes: read during the handshake, stamped no later than now
	for _, c := range conns {
		if fin, err := take(c, c.early); err != nil {
			return res, err
		} else if fin {
			res.Complete++
		}
	}
	u0, s0 := cpuSeconds()
	deadline := time.Now().Add(cfg.timeout)
	for res.Complete < len(conns) {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return res, errors.Join(fmt.Errorf("%d of %d connections complete when stopped", res.Complete, len(conns)), ctx.Err())
		}
		evs, err := ep.wait(100)
		if err != nil {
			return res, err
		}
		for _, ev := range evs {
			c := byFD[ev.Fd]
			for c != nil { // edge-triggered: read until EAGAIN
				n, err := unix.Read(c.fd, buf)
				res.Reads++
				if err == unix.EAGAIN {
					break
				}
				if err == unix.EINTR {
					continue
				}
				if err != nil || n == 0 {
					if c.counter.frames == want { // complete; the server has closed
						delete(byFD, ev.Fd)
						break
					}
					return res, fmt.Errorf("connection fd %d closed after %d frames: %v", c.fd, c.counter.frames, err)
				}
				if hist != nil {
					readAt = time.Now().UnixNano()
				}
				fin, err := take(c, buf[:n])
				if err != nil {
					return res, err
				}
				if fin {
					res.Complete++
					done = time.Now()
				}
			}
		}
	}
	u1, s1 := cpuSeconds()
	for _, c := range conns {
		res.Frames += c.counter.frames
	}
	if !first.IsZero() {
		if done.IsZero() {
			done = time.Now()
		}
		res.FirstUnixNano, res.DoneUnixNano = first.UnixNano(), done.UnixNano()
		secs := done.Sub(first).Seconds()
		res.Seconds = round3(secs)
		if secs > 0 {
			res.FramesPerSec = round3(float64(res.Frames) / secs)
		}
	}
	res.CPUUser, res.CPUSys = round3(u1-u0), round3(s1-s0)
	if hist != nil {
		res.Latency = hist.summary()
	}
	return res, nil
}
