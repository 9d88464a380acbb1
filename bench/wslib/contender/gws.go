package contender

import (
	"context"
	"net"
	"net/http"

	"github.com/lxzan/gws"
)

func init() {
	Register("gws",
		"gws v1.8.9 Upgrader on net/http, as its README shows: after the upgrade the handler returns and a "+
			"goroutine per connection runs ReadLoop; broadcast through a 64-deep queue and writer goroutine "+
			"per connection calling the blocking WriteMessage",
		func() (Server, error) { return &gwsServer{conns: newConnSet[*gws.Conn]()}, nil })
}

type gwsServer struct {
	conns *connSet[*gws.Conn]
}

func (s *gwsServer) Conns() int { return s.conns.len() }

// gwsEvents discards what clients send and tracks open connections.
type gwsEvents struct {
	gws.BuiltinEventHandler
	s *gwsServer
}

func (e gwsEvents) OnOpen(c *gws.Conn) {
	if !e.s.conns.add(c) {
		_ = c.NetConn().Close() // shutting down
	}
}
func (e gwsEvents) OnClose(c *gws.Conn, _ error) { e.s.conns.remove(c) }
func (e gwsEvents) OnMessage(_ *gws.Conn, m *gws.Message) {
	_ = m.Close() // returns the buffer to gws's pool
}

func (s *gwsServer) Serve(ctx context.Context, ln net.Listener) error {
	up := gws.NewUpgrader(gwsEvents{s: s}, &gws.ServerOption{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return // gws has answered and closed
		}
		// Let the handler return so net/http drops its per-request state,
		// as gws recommends for net/http. ReadLoop adds the connection to
		// s.conns (OnOpen) and removes it (OnClose) just before it ends,
		// which is what Serve waits for.
		go c.ReadLoop()
	})
	closeAll := func() {
		for _, c := range s.conns.drain() {
			_ = c.NetConn().Close()
		}
	}
	return serveHTTP(ctx, ln, h, closeAll, s.conns.wait)
}

func (s *gwsServer) Broadcast(ctx context.Context, msg []byte, count int) BroadcastResult {
	return fanOut(ctx, s.conns.snapshot(), msg, count, func(_ context.Context, c *gws.Conn, m []byte) error {
		return c.WriteMessage(gws.OpcodeBinary, m)
	})
}
