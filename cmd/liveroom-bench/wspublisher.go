package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/pushscan"
	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/wsconn"
)

// ringSize bounds the publications a WebSocket publisher may have waiting
// for their reply.
const ringSize = 1 << 16

// wsPublisher publishes over one client connection (JSON, centrifuge
// protocol), commands pipelined without waiting for replies; its reader
// goroutine matches replies by id.
type wsPublisher struct {
	p        *publisher
	c        *wsconn.Conn
	intended [ringSize]atomic.Int64 // by command id % ringSize
	answered atomic.Int64
	done     chan struct{} // closed when the reader ends
	wg       sync.WaitGroup
}

func dialWSPublisher(ctx context.Context, p *publisher) (*wsPublisher, error) {
	tok, err := p.t.token("bench-publisher")
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	c, err := wsconn.Dial(dctx, p.t.spec.Addr, "/connection/websocket", wsconn.Options{Dialer: p.t.dialer(0), Subprotocol: "centrifuge-json"})
	if err != nil {
		return nil, fmt.Errorf("publisher connection: %w", err)
	}
	if err := c.WriteText(fmt.Appendf(nil, `{"id":1,"connect":{"token":%q}}`, tok)); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("publisher connection: %w", err)
	}
	_ = c.NetConn().SetReadDeadline(time.Now().Add(setupTimeout))
	msg, err := c.ReadMessage()
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("publisher connect: %w", err)
	}
	line, _, _ := bytes.Cut(msg, []byte("\n"))
	r, err := protocol.NewJSONReplyDecoder(line).Decode()
	if err == nil && r.Error != nil {
		err = &replyError{Code: int(r.Error.Code), Message: r.Error.Message}
	}
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("publisher connect reply %q: %w", msg, err)
	}
	_ = c.NetConn().SetReadDeadline(time.Time{})
	w := &wsPublisher{p: p, c: c, done: make(chan struct{})}
	w.wg.Go(w.reader)
	return w, nil
}

// writer sends one publish command per job; ids start at 2 (1 was connect).
func (w *wsPublisher) writer(ctx context.Context, jobs <-chan job) {
	var cmd []byte
	for j := range jobs {
		id := uint32(w.p.sent.Add(1) + 1)
		w.intended[id%ringSize].Store(j.intended)
		cmd = fmt.Appendf(cmd[:0], `{"id":%d,"publish":{"channel":%q,"data":%s}}`, id, w.p.cfg.ChannelOf(j.seq), pubData(j.intended, w.p.pad))
		if err := w.c.WriteText(cmd); err != nil {
			if ctx.Err() == nil {
				w.p.fail(err)
			}
			return
		}
	}
}

// reader answers pings and accounts replies until the connection closes.
func (w *wsPublisher) reader() {
	defer close(w.done)
	for {
		msg, err := w.c.ReadMessage()
		if err != nil {
			return
		}
		for line := range bytes.SplitSeq(msg, []byte("\n")) {
			switch {
			case pushscan.IsPing(line):
				_ = w.c.WriteText(jsonPong)
			case pushscan.IsPush(line):
			default:
				r, err := protocol.NewJSONReplyDecoder(line).Decode()
				if err != nil || r.Id < 2 {
					continue
				}
				w.answered.Add(1)
				if r.Error != nil {
					w.p.fail(&replyError{Code: int(r.Error.Code), Message: r.Error.Message})
					continue
				}
				w.p.acked1(w.intended[r.Id%ringSize].Load())
			}
		}
	}
}

// waitAcks waits until n publishes are answered, timeout passes, or the
// connection ends.
func (w *wsPublisher) waitAcks(ctx context.Context, n int64, timeout time.Duration) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for w.answered.Load() < n {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-w.done:
			return
		case <-tick.C:
		}
	}
}

func (w *wsPublisher) close() {
	_ = w.c.Close()
	w.wg.Wait()
}
