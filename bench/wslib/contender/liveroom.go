package contender

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/transport/websocket"
	"github.com/liveroom-dev/liveroom/wire"
)

func init() {
	Register("liveroom",
		"liveroom's transport: net/http handshake, socket handed to liveroom's event loops (internal/netpoll), liveroom's own frame "+
			"codec; broadcast calls the non-blocking Transport.Write from one goroutine, up to 64 messages in a "+
			"row to one connection, pausing on a connection whose Buffered() passes 64 frames",
		func() (Server, error) { return &liveroomServer{conns: newConnSet[*liveroomConn]()}, nil })
}

type liveroomServer struct {
	conns *connSet[*liveroomConn]
}

// liveroomConn is one connection: the transport, and the session the
// transport drives (it discards what the client sends).
type liveroomConn struct {
	t      hub.Transport
	set    *connSet[*liveroomConn]
	closed chan struct{}
}

func (c *liveroomConn) HandleMessage([]byte) {}
func (c *liveroomConn) HandleClosed(error) {
	c.set.remove(c)
	close(c.closed)
}

// Accept implements hub.Acceptor.
func (s *liveroomServer) Accept(t hub.Transport, _ hub.ConnInfo) (hub.Session, error) {
	c := &liveroomConn{t: t, set: s.conns, closed: make(chan struct{})}
	if !s.conns.add(c) {
		return nil, &hub.DisconnectError{Disconnect: wire.DisconnectShutdown}
	}
	return c, nil
}

func (s *liveroomServer) Conns() int { return s.conns.len() }

func (s *liveroomServer) Serve(ctx context.Context, ln net.Listener) error {
	ws, err := websocket.NewServer(websocket.Config{}, s)
	if err != nil {
		return err
	}
	if err := ws.Start(); err != nil {
		return err
	}
	srv := &http.Server{Handler: ws, ReadHeaderTimeout: websocket.ReadHeaderTimeout, MaxHeaderBytes: websocket.MaxHeaderBytes}
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := ws.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// Broadcast writes like broadcastPoller: rounds of up to queueDepth
// messages in a row per connection, each connection holding at most
// queueDepth frames the kernel has not taken. The transport has no wake-up
// hook for drained bytes, so a full connection is polled every 50 µs.
func (s *liveroomServer) Broadcast(ctx context.Context, msg []byte, count int) BroadcastResult {
	conns := s.conns.snapshot()
	res := BroadcastResult{Conns: len(conns)}
	limit := queueDepth * serverFrameLen(len(msg))
	dead := make([]bool, len(conns))
	waitBelow := func(c *liveroomConn, limit int) error {
		for c.t.Buffered() >= limit {
			select {
			case <-c.closed:
				return net.ErrClosed
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Microsecond):
			}
		}
		return nil
	}
	for k := 0; k < count && res.Err == ""; k += queueDepth {
		inRound := min(queueDepth, count-k)
		for i, c := range conns {
			if dead[i] {
				continue
			}
			res.Runs++
			for j := 0; j < inRound; j++ {
				if err := waitBelow(c, limit); err != nil {
					if errors.Is(err, net.ErrClosed) {
						dead[i] = true
						res.Failed++
						break
					}
					res.Err = err.Error()
					break
				}
				if err := c.t.Write(msg); err != nil {
					dead[i] = true
					res.Failed++
					break
				}
				res.Writes++
			}
		}
	}
	for i, c := range conns {
		if !dead[i] && res.Err == "" {
			if err := waitBelow(c, 1); err != nil && !errors.Is(err, net.ErrClosed) {
				res.Err = err.Error()
			}
		}
	}
	return res
}
