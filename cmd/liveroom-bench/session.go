package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/pushscan"
	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/wsconn"
)

// setupTimeout bounds the handshake, connect and subscribe of one session.
const setupTimeout = 20 * time.Second

// replyError is an error reply (or a refused connect) from the server.
type replyError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *replyError) Error() string { return fmt.Sprintf("error reply %d: %s", e.Code, e.Message) }

// disconnectError is a disconnect push, or the server ending a session in
// its own protocol.
type disconnectError struct {
	Code   int
	Reason string
}

func (e *disconnectError) Error() string {
	return fmt.Sprintf("disconnected %d: %s", e.Code, e.Reason)
}

// session dials, connects, subscribes and then reads until the connection
// ends.
func (f *fleet) session(ctx context.Context, cs *connSession) (err error) {
	if err := f.limiter.Wait(ctx); err != nil {
		return err
	}
	select {
	case f.dialSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	cs.release = sync.OnceFunc(func() { <-f.dialSem })
	defer cs.release()
	f.sessions.Add(1)
	s := cs.s
	if s.token == "" {
		if s.token, err = f.t.token(s.user); err != nil {
			return err
		}
	}
	cs.dialAt = time.Now().UnixNano()
	setMin(&f.firstDial, cs.dialAt)
	dctx, cancel := context.WithTimeout(ctx, setupTimeout)
	codec := f.t.codec
	cs.c, err = wsconn.Dial(dctx, f.t.spec.Addr, codec.path(), wsconn.Options{
		Dialer: f.t.dialer(s.i), Subprotocol: codec.subprotocol(), ReadBuffer: f.cfg.ReadBuffer,
	})
	cancel()
	if err != nil {
		return err
	}
	defer cs.c.Close()
	if !f.track(cs) {
		return ctx.Err()
	}
	defer f.untrack(cs)
	defer func() {
		f.conns[s.i-f.cfg.From].CompareAndSwap(cs, nil)
		if cs.subscribed {
			f.ready.Add(-1)
		}
	}()
	_ = cs.c.NetConn().SetReadDeadline(time.Now().Add(setupTimeout))
	if err := codec.start(cs); err != nil {
		return err
	}
	return cs.c.Serve(func(msg []byte) error {
		return codec.handle(cs, msg, time.Now().UnixNano())
	})
}

// connSession is one connection of a subscriber, from dial to end. Its
// plain fields are owned by the connection's goroutine.
type connSession struct {
	f       *fleet
	s       *subscriber
	c       *wsconn.Conn
	release func() // frees the dialling slot (once)
	dialAt  int64  // Unix ns

	connected      bool
	subscribed     bool
	everSubscribed bool
	subID          uint32        // id of the subscribe command awaiting its reply
	nextID         atomic.Uint32 // last command id used
	dropped        atomic.Bool   // the tool reset the connection
}

// phase names how far a session that failed got.
func (cs *connSession) phase() string {
	switch {
	case cs.c == nil:
		return " (dial)"
	case !cs.connected:
		return " (before connect reply)"
	}
	return " (before subscribe reply)"
}

// id returns a new command id.
func (cs *connSession) id() uint32 { return cs.nextID.Add(1) }

// pinged counts a server ping the codec answered.
func (cs *connSession) pinged() { cs.f.pings.Add(1) }

// push counts a push that is not a publication the tool reads.
func (cs *connSession) push() { cs.f.pushes.Add(1) }

// connectDone is called on the connect reply.
func (cs *connSession) connectDone(now int64) {
	cs.connected = true
	cs.f.connectHist.Record(time.Duration(now - cs.dialAt))
}

// subReply is what a subscribe (or join) reply says.
type subReply struct {
	Positioned    bool // the channel has offsets and an epoch (centrifuge protocol)
	Offset        uint64
	Epoch         string
	WasRecovering bool
	Recovered     bool
	Pubs          []pushscan.Pub // recovered publications, oldest first
}

// subscribeDone is called on a successful subscribe reply.
func (cs *connSession) subscribeDone(r subReply, now int64) {
	f, s := cs.f, cs.s
	f.position(s, r, now)
	if !cs.everSubscribed {
		f.setupHist.Record(time.Duration(now - cs.dialAt))
	}
	cs.subscribed, cs.everSubscribed = true, true
	f.ready.Add(1)
	setMax(&f.lastReady, now)
	cs.release()
	_ = cs.c.NetConn().SetReadDeadline(time.Time{})
	f.conns[s.i-f.cfg.From].Store(cs)
}

// position accounts what a subscribe reply says about s's place in the
// channel: recovery outcome, recovered publications, and a position that
// moved on without them (lost). Called on s's connection goroutine.
func (f *fleet) position(s *subscriber, r subReply, now int64) {
	if r.WasRecovering {
		if r.Recovered {
			f.recovered.Add(1)
		} else {
			f.unrecovered.Add(1)
		}
	}
	if r.Positioned {
		if s.epoch != "" && r.Epoch != s.epoch {
			f.epochChanged.Add(1)
			s.last.Store(0)
		}
		s.epoch = r.Epoch
		for _, p := range r.Pubs {
			f.deliver(s, p, now)
		}
		switch last := s.last.Load(); {
		case last == 0:
			s.last.Store(r.Offset)
		case r.Offset > last: // not recovered (or not all of it): skipped
			f.gaps.Add(int64(r.Offset - last))
			s.lost.Add(int64(r.Offset - last))
			s.last.Store(r.Offset)
		}
	}
	if d := f.dropAt.Load(); d != 0 && s.seenTo != d {
		s.seenTo = d
		f.resubHist.Record(time.Duration(now - d))
		f.resubscribed.Add(1)
	}
}

// unsubscribed is called when the server ends the subscription but not the
// connection; it returns whether to subscribe again (code 2500 and up).
func (cs *connSession) unsubscribed(code int) bool {
	if cs.subscribed {
		cs.subscribed = false
		cs.f.ready.Add(-1)
		cs.f.conns[cs.s.i-cs.f.cfg.From].CompareAndSwap(cs, nil)
	}
	cs.f.count(cs.f.ends, "unsubscribed", fmt.Sprintf("unsubscribe %d", code), nil)
	return code >= 2500
}

// publishReply accounts the answer to a member's publish command.
func (cs *connSession) publishReply(e *replyError) {
	if e == nil {
		cs.f.pubAcked.Add(1)
		return
	}
	cs.f.pubFailed.Add(1)
	cs.f.count(cs.f.pubErrs, "publish failed", fmt.Sprintf("error %d", e.Code), e)
}

// pub accounts a publication received at now.
func (cs *connSession) pub(p pushscan.Pub, now int64) {
	if !cs.subscribed {
		cs.f.early.Add(1)
	}
	cs.f.deliver(cs.s, p, now)
}

// deliver accounts one publication received at now (Unix ns): the count,
// the offset check, and the latency in a measurement window.
func (f *fleet) deliver(s *subscriber, p pushscan.Pub, now int64) {
	shard := s.i % numShards
	f.delivered[shard].Add(1)
	if p.Offset != 0 {
		switch last := s.last.Load(); {
		case last == 0 || p.Offset == last+1:
		case p.Offset > last:
			f.gaps.Add(int64(p.Offset - last - 1))
			s.lost.Add(int64(p.Offset - last - 1))
		default:
			f.repeats.Add(1)
			s.dup.Add(1)
		}
		s.last.Store(max(p.Offset, s.last.Load()))
	}
	if rec := f.rec.Load(); rec != nil {
		rec.hists[shard].Record(time.Duration(now - p.TS))
		if rec.log != nil {
			rec.log.add(shard, now, now-p.TS, s.i)
		}
	}
}

// endReason names why a session ended, for the failure counts.
func endReason(err error) string {
	var ce *wsconn.CloseError
	var he *wsconn.HandshakeError
	var re *replyError
	var de *disconnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("close %d", ce.Code)
	case errors.As(err, &he):
		return fmt.Sprintf("http %d", he.Status)
	case errors.As(err, &re):
		return fmt.Sprintf("error %d", re.Code)
	case errors.As(err, &de):
		return fmt.Sprintf("disconnect %d", de.Code)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "out of descriptors"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "closed by server"
	}
	return "io"
}
