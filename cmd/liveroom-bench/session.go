package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/pushscan"
	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/wsconn"
)

// setupTimeout bounds the handshake, connect and subscribe of one session.
const setupTimeout = 20 * time.Second

var pong = []byte("{}")

// subscriber is one connection's identity and position; its fields are
// owned by the connection's goroutine.
type subscriber struct {
	i       int
	user    string
	channel string
	token   string
	last    uint64 // offset of the last publication seen; 0 = unknown
}

// replyError is an error reply to connect or subscribe.
type replyError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *replyError) Error() string { return fmt.Sprintf("error reply %d: %s", e.Code, e.Message) }

// setupReply is the part of a connect or subscribe reply the tool reads.
type setupReply struct {
	ID        uint32      `json:"id"`
	Error     *replyError `json:"error"`
	Subscribe *struct {
		Offset uint64 `json:"offset"`
	} `json:"subscribe"`
}

// session dials, connects, subscribes and then reads until the connection
// ends. subscribed reports whether it got as far as a subscription.
func (f *fleet) session(ctx context.Context, s *subscriber) (subscribed bool, err error) {
	if err := f.limiter.Wait(ctx); err != nil {
		return false, err
	}
	select {
	case f.dialSem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	release := sync.OnceFunc(func() { <-f.dialSem })
	defer release()
	f.sessions.Add(1)

	if s.token == "" {
		if s.token, err = f.t.token(s.user); err != nil {
			return false, err
		}
	}
	dctx, cancel := context.WithTimeout(ctx, setupTimeout)
	c, err := wsconn.Dial(dctx, f.t.addr, wsPath, wsconn.Options{
		Dialer: f.t.dialer(s.i), Subprotocol: "centrifuge-json", ReadBuffer: f.cfg.ReadBuffer,
	})
	cancel()
	if err != nil {
		return false, err
	}
	defer c.Close()
	if !f.track(c) {
		return false, ctx.Err()
	}
	defer f.untrack(c)

	setup := fmt.Appendf(nil, `{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":%q}}`, s.token, s.channel)
	if err := c.WriteText(setup); err != nil {
		return false, err
	}
	_ = c.NetConn().SetReadDeadline(time.Now().Add(setupTimeout))
	defer func() {
		if subscribed {
			f.ready.Add(-1)
		}
	}()
	err = c.Serve(func(msg []byte) error {
		now := time.Now().UnixNano()
		for len(msg) > 0 {
			var line []byte
			if i := bytes.IndexByte(msg, '\n'); i >= 0 {
				line, msg = msg[:i], msg[i+1:]
			} else {
				line, msg = msg, nil
			}
			switch {
			case pushscan.IsPing(line):
				if err := c.WriteText(pong); err != nil {
					return err
				}
				f.pings.Add(1)
			case pushscan.IsPush(line):
				if p, ok := pushscan.Scan(line); ok {
					f.deliver(s, p, now)
				} else {
					f.pushes.Add(1)
				}
			case !subscribed:
				done, err := s.setupReply(line)
				if err != nil {
					return err
				}
				if done {
					subscribed = true
					f.ready.Add(1)
					release()
					_ = c.NetConn().SetReadDeadline(time.Time{})
				}
			}
		}
		return nil
	})
	return subscribed, err
}

// setupReply handles a reply during setup; done is true once the
// subscription is confirmed.
func (s *subscriber) setupReply(line []byte) (done bool, err error) {
	var r setupReply
	if err := json.Unmarshal(line, &r); err != nil {
		return false, fmt.Errorf("setup reply %q: %w", line, err)
	}
	if r.Error != nil {
		return false, r.Error
	}
	if r.ID == 2 && r.Subscribe != nil {
		s.last = r.Subscribe.Offset
		return true, nil
	}
	return false, nil
}

// deliver accounts one publication received at now (Unix ns).
func (f *fleet) deliver(s *subscriber, p pushscan.Pub, now int64) {
	shard := s.i % numShards
	f.delivered[shard].Add(1)
	if p.Offset != 0 {
		switch {
		case s.last == 0 || p.Offset == s.last+1:
		case p.Offset > s.last:
			f.gaps.Add(int64(p.Offset - s.last - 1))
		default:
			f.repeats.Add(1)
		}
		s.last = p.Offset
	}
	if rec := f.rec.Load(); rec != nil {
		rec.hists[shard].Record(time.Duration(now - p.TS))
	}
}
