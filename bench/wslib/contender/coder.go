package contender

import (
	"context"
	"io"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

func init() {
	Register("coder",
		"coder/websocket v1.8.15 Accept on net/http: the handler goroutine stays and reads (Reader + "+
			"io.Discard) for the connection's life; broadcast through a 64-deep queue and writer goroutine "+
			"per connection calling the blocking Write",
		func() (Server, error) { return &coderServer{conns: newConnSet[*websocket.Conn]()}, nil })
}

type coderServer struct {
	conns *connSet[*websocket.Conn]
}

func (s *coderServer) Conns() int { return s.conns.len() }

func (s *coderServer) Serve(ctx context.Context, ln net.Listener) error {
	// readCtx ends every read loop at shutdown; it outlives net/http's
	// request context, which is not what should bound a WebSocket.
	readCtx, stopReads := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReads()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return // Accept has answered
		}
		if !s.conns.add(c) {
			_ = c.CloseNow() // shutting down
			return
		}
		defer s.conns.remove(c) // what Serve waits for
		for {
			_, rd, err := c.Reader(readCtx)
			if err != nil {
				_ = c.CloseNow()
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				_ = c.CloseNow()
				return
			}
		}
	})
	closeAll := func() {
		stopReads()
		for _, c := range s.conns.drain() {
			_ = c.CloseNow()
		}
	}
	return serveHTTP(ctx, ln, h, closeAll, s.conns.wait)
}

func (s *coderServer) Broadcast(ctx context.Context, msg []byte, count int) BroadcastResult {
	return fanOut(ctx, s.conns.snapshot(), msg, count, func(ctx context.Context, c *websocket.Conn, m []byte) error {
		return c.Write(ctx, websocket.MessageBinary, m)
	})
}
