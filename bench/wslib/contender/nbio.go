package contender

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

func init() {
	Register("nbio-poller",
		"nbio v1.6.8 nbhttp+websocket, IOModNonBlocking: one epoll poller goroutine reads every connection; "+
			"broadcast calls the non-blocking WriteMessage from one goroutine, up to 64 messages in a row to one "+
			"connection (the runs a 64-deep per-connection queue drains in), and pauses on a connection whose "+
			"bytes not yet taken by the kernel exceed 64 frames (tracked with the engine's OnWrittenSize hook)",
		func() (Server, error) { return newNbio(nbhttp.IOModNonBlocking, queueDepth), nil })
	Register("nbio-poller-interleaved",
		"as nbio-poller, but message k goes to every connection before message k+1 (one message in a row "+
			"per connection)",
		func() (Server, error) { return newNbio(nbhttp.IOModNonBlocking, 1), nil })
	Register("nbio-blocking",
		"nbio v1.6.8 nbhttp+websocket, IOModBlocking: a reader goroutine per connection; "+
			"broadcast through a 64-deep queue and writer goroutine per connection calling the blocking "+
			"WriteMessage (BlockingModAsyncWrite off)",
		func() (Server, error) { return newNbio(nbhttp.IOModBlocking, 0), nil })
}

// shutdownGrace bounds how long a contender waits for its connections to
// close when the server is stopped.
const shutdownGrace = 5 * time.Second

type nbioServer struct {
	mod   int
	run   int // poller broadcast: messages written in a row to one connection
	conns *connSet[*nbioConn]
}

// nbioConn is one connection, kept as its websocket.Conn's session.
type nbioConn struct {
	ws *websocket.Conn
	// sent counts bytes handed to WriteMessage; owned by the goroutine
	// running Broadcast (one at a time).
	sent int64
	// written counts bytes the kernel took; the engine's OnWrittenSize hook
	// adds to it, from the broadcasting goroutine or the poller.
	written atomic.Int64
	wake    chan struct{} // capacity 1; signalled when written grows
	closed  chan struct{} // closed by the library's OnClose
}

func newNbio(mod, run int) *nbioServer {
	return &nbioServer{mod: mod, run: run, conns: newConnSet[*nbioConn]()}
}

func (s *nbioServer) Conns() int { return s.conns.len() }

func (s *nbioServer) Serve(ctx context.Context, ln net.Listener) error {
	logging.SetLevel(logging.LevelError)

	u := websocket.NewUpgrader()
	u.CheckOrigin = func(*http.Request) bool { return true }
	u.KeepaliveTime = 0             // no read deadline: the same for every contender
	u.BlockingModAsyncWrite = false // blocking mode: WriteMessage writes in the caller
	u.OnOpen(func(c *websocket.Conn) {
		nc := &nbioConn{ws: c, wake: make(chan struct{}, 1), closed: make(chan struct{})}
		c.SetSession(nc)
		s.conns.add(nc)
	})
	u.OnMessage(func(*websocket.Conn, websocket.MessageType, []byte) {})
	u.OnClose(func(c *websocket.Conn, _ error) {
		if nc, ok := c.Session().(*nbioConn); ok {
			s.conns.remove(nc)
			close(nc.closed)
		}
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = u.Upgrade(w, r, nil) // on error the upgrader has answered
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{ln.Addr().String()},
		Listen:                  func(string, string) (net.Listener, error) { return ln, nil },
		Handler:                 mux,
		IOMod:                   s.mod,
		ReleaseWebsocketPayload: true,
	})
	u.Engine = engine
	engine.Engine.OnWrittenSize(func(c *nbio.Conn, _ []byte, n int) {
		ws, ok := c.Session().(*websocket.Conn)
		if !ok {
			return
		}
		nc, ok := ws.Session().(*nbioConn)
		if !ok {
			return // the handshake response, before OnOpen
		}
		nc.written.Add(int64(n))
		select {
		case nc.wake <- struct{}{}:
		default:
		}
	})
	if err := engine.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := engine.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func (s *nbioServer) Broadcast(ctx context.Context, msg []byte, count int) BroadcastResult {
	conns := s.conns.snapshot()
	if s.mod == nbhttp.IOModBlocking {
		return fanOut(ctx, conns, msg, count, func(_ context.Context, nc *nbioConn, m []byte) error {
			return nc.ws.WriteMessage(websocket.BinaryMessage, m)
		})
	}
	return broadcastPoller(ctx, conns, msg, count, s.run)
}

// broadcastPoller writes from this one goroutine, in rounds: each round
// writes the next run messages to every connection in turn, run in a row to
// one connection (run 1: message k to everyone before message k+1).
// WriteMessage never blocks: what the kernel does not take at once, nbio
// keeps and flushes from the poller. Before each write the broadcaster
// waits until that connection has fewer than queueDepth frames not yet
// taken by the kernel.
//
// Why run matters: a goroutine-per-connection server whose writer drains a
// queue writes a connection's backlog back to back, and the kernel's cost
// per write falls when the same socket is written in a row (TCP autocorking
// merges the small segments); run = queueDepth gives the poller the same
// shape, run = 1 shows the cost without it.
func broadcastPoller(ctx context.Context, conns []*nbioConn, msg []byte, count, run int) BroadcastResult {
	res := BroadcastResult{Conns: len(conns)}
	frame := int64(serverFrameLen(len(msg)))
	limit := queueDepth * frame
	dead := make([]bool, len(conns))
	fail := func(i int) {
		if !dead[i] {
			dead[i] = true
			res.Failed++
		}
	}
send:
	for k := 0; k < count; k += run {
		inRound := min(run, count-k)
		for i, nc := range conns {
			if !dead[i] {
				res.Runs++
			}
			for j := 0; j < inRound && !dead[i]; j++ {
				switch err := nc.waitBelow(ctx, limit); {
				case errors.Is(err, net.ErrClosed):
					fail(i)
					continue
				case err != nil:
					res.Err = err.Error()
					break send
				}
				nc.sent += frame
				if err := nc.ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					fail(i)
					continue
				}
				res.Writes++
			}
		}
	}
	// Done means handed to the kernel, as for the blocking libraries.
	for i, nc := range conns {
		if dead[i] || res.Err != "" {
			continue
		}
		if err := nc.waitBelow(ctx, 1); errors.Is(err, net.ErrClosed) {
			fail(i)
		} else if err != nil {
			res.Err = err.Error()
		}
	}
	return res
}

// waitBelow waits until fewer than limit bytes handed to WriteMessage are
// still waiting for the kernel. It returns net.ErrClosed if the connection
// closes first and ctx.Err() if ctx ends first.
func (nc *nbioConn) waitBelow(ctx context.Context, limit int64) error {
	for nc.sent-nc.written.Load() >= limit {
		select {
		case <-nc.wake:
		case <-nc.closed:
			return net.ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// serverFrameLen is the length on the wire of an unmasked frame carrying n
// payload bytes (RFC 6455 §5.2).
func serverFrameLen(n int) int {
	switch {
	case n < 126:
		return n + 2
	case n <= 0xFFFF:
		return n + 4
	default:
		return n + 10
	}
}
