package websocket

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// closeOnCommand makes the session close its transport with d when it
// receives "close".
func closeOnCommand(d wire.Disconnect) func(*testSession, []byte) {
	return func(s *testSession, data []byte) {
		if string(data) == "close" {
			s.tr.Close(d)
		}
	}
}

// The hub's Close reaches a real client as the close code and reason, even
// while the client keeps sending (unread bytes must not turn the close into
// a reset), and HandleClosed runs once with the disconnect as its cause.
func TestHubCloseSeenByClients(t *testing.T) {
	d := wire.DisconnectSlow
	acc := &testAcceptor{onMsg: closeOnCommand(d)}
	ts := startServer(t, Config{}, acc)

	// gorilla, flooding messages while the close happens.
	ws, _, err := gorilla.DefaultDialer.Dial(ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		junk := []byte(strings.Repeat("x", 4096))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if ws.WriteMessage(gorilla.TextMessage, junk) != nil {
				return
			}
		}
	}()
	s := acc.waitSession(t, 0)
	_ = s.tr.Write([]byte("hello"))
	s.tr.Close(d)
	_ = ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	var ce *gorilla.CloseError
	for {
		_, p, err := ws.ReadMessage()
		if err == nil {
			if string(p) != "hello" {
				t.Fatalf("unexpected message %q", p)
			}
			continue
		}
		if !errors.As(err, &ce) {
			t.Fatalf("gorilla: %v, want a close frame", err)
		}
		break
	}
	if ce.Code != int(d.Code) || ce.Text != d.Reason {
		t.Fatalf("gorilla saw %d %q, want %d %q", ce.Code, ce.Text, d.Code, d.Reason)
	}
	<-s.closedC
	var de *hub.DisconnectError
	if !errors.As(s.cause, &de) || de.Code != d.Code {
		t.Fatalf("HandleClosed cause %v", s.cause)
	}

	// coder/websocket, which runs the full closing handshake.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cc, _, err := coder.Dial(ctx, ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.CloseNow()
	if err := cc.Write(ctx, coder.MessageText, []byte("close")); err != nil {
		t.Fatal(err)
	}
	_, _, err = cc.Read(ctx)
	if got := coder.CloseStatus(err); got != coder.StatusCode(d.Code) {
		t.Fatalf("coder saw %v (%v), want %d", got, err, d.Code)
	}
	s2 := acc.waitSession(t, 1)
	<-s2.closedC
	waitFor(t, 10*time.Second, "connections closed", func() bool { return ts.Stats().ConnectionsOpen == 0 })
	for _, s := range acc.sessions() {
		if n := s.closeCount(); n != 1 {
			t.Fatalf("HandleClosed called %d times", n)
		}
	}
}

// A client's close is echoed with its code, the server closes TCP, and the
// cause names the peer's code and reason.
func TestPeerCloseEchoed(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)
	c := dialUpgraded(t, ts.addr)
	c.write(clientFrame(bitFIN|opClose, closePayload(4001, "bye")))
	if got := c.expectClose(); got != 4001 {
		t.Fatalf("echo code %d, want 4001", got)
	}
	c.expectEOF(time.Second)
	s := acc.waitSession(t, 0)
	<-s.closedC
	var pe *PeerCloseError
	if !errors.As(s.cause, &pe) || pe.Code != 4001 || pe.Reason != "bye" {
		t.Fatalf("cause %v", s.cause)
	}
	// An empty close frame is answered with an empty one.
	c = dialUpgraded(t, ts.addr)
	c.write(clientFrame(bitFIN|opClose, nil))
	if got := c.expectClose(); got != closeNoStatus {
		t.Fatalf("echo code %d, want an empty close frame", got)
	}
}

// A refusal by the Acceptor reaches the client as its disconnect code.
func TestAcceptRefused(t *testing.T) {
	d := wire.DisconnectConnectionLimit
	ts := startServer(t, Config{}, &testAcceptor{refuse: &hub.DisconnectError{Disconnect: d}})
	ws, _, err := gorilla.DefaultDialer.Dial(ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err = ws.ReadMessage()
	if !gorilla.IsCloseError(err, int(d.Code)) {
		t.Fatalf("got %v, want close %d", err, d.Code)
	}
}

// A panic in HandleMessage closes that connection with 3004 and nothing
// else; the process and other connections carry on.
func TestSessionPanicIsolated(t *testing.T) {
	acc := &testAcceptor{echo: true, onMsg: func(_ *testSession, data []byte) {
		if string(data) == "boom" {
			panic("session bug")
		}
	}}
	ts := startServer(t, Config{}, acc)
	healthy := newHealthyClient(t, ts.url)
	ws, _, err := gorilla.DefaultDialer.Dial(ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteMessage(gorilla.TextMessage, []byte("boom")); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err = ws.ReadMessage()
	if !gorilla.IsCloseError(err, int(wire.DisconnectServerError.Code)) {
		t.Fatalf("got %v, want close 3004", err)
	}
	healthy.check()
	s := acc.waitSession(t, 1)
	<-s.closedC
}

// After Close, Write fails with an error wrapping net.ErrClosed, and so it
// does after the peer vanished.
func TestWriteAfterClose(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)
	dialUpgraded(t, ts.addr)
	s := acc.waitSession(t, 0)
	s.tr.Close(wire.DisconnectForceReconnect)
	if err := s.tr.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	s.tr.Close(wire.DisconnectForceReconnect) // a second Close does nothing

	c := dialUpgraded(t, ts.addr)
	s2 := acc.waitSession(t, 1)
	_ = c.nc.Close()
	<-s2.closedC
	if err := s2.tr.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after the peer left: %v", err)
	}
}

// Shutdown sends 3001 to every client, calls every HandleClosed, and leaves
// no goroutine behind.
func TestShutdown(t *testing.T) {
	base := runtime.NumGoroutine()
	acc := &testAcceptor{echo: true}
	s, err := NewServer(Config{}, acc)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(wsPath, s)
	hs := httptest.NewServer(mux)
	var clients []*gorilla.Conn
	for range 3 {
		ws, _, err := gorilla.DefaultDialer.Dial("ws://"+hs.Listener.Addr().String()+wsPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		clients = append(clients, ws)
	}
	waitFor(t, 10*time.Second, "3 sessions", func() bool { return len(acc.sessions()) == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, ws := range clients {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := ws.ReadMessage()
		if !gorilla.IsCloseError(err, int(wire.DisconnectShutdown.Code)) {
			t.Fatalf("got %v, want close 3001", err)
		}
	}
	for _, ss := range acc.sessions() {
		if ss.closeCount() != 1 {
			t.Fatalf("HandleClosed called %d times", ss.closeCount())
		}
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	hs.Close()
	waitFor(t, 5*time.Second, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= base })
}
