package wsconn

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// serve runs a gorilla/websocket server whose handler is given the
// connection; it returns the host:port.
func serve(t *testing.T, handler func(*websocket.Conn)) string {
	t.Helper()
	up := websocket.Upgrader{WriteBufferSize: 1024, Subprotocols: []string{"centrifuge-json"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		handler(ws)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func dial(t *testing.T, addr string) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, "/ws", Options{Subprotocol: "centrifuge-json", ReadBuffer: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestMessagesOfEverySizeAndFragments(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 200000}
	pongs := make(chan string, 1)
	addr := serve(t, func(ws *websocket.Conn) {
		ws.SetPongHandler(func(s string) error { pongs <- s; return nil })
		for _, n := range sizes {
			// NextWriter with a 1 KiB buffer sends larger messages in fragments.
			w, _ := ws.NextWriter(websocket.TextMessage)
			_, _ = w.Write(bytes.Repeat([]byte{'a' + byte(n%26)}, n))
			_ = w.Close()
		}
		_ = ws.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
		_ = ws.WriteMessage(websocket.TextMessage, []byte("after ping"))
		_, _, _ = ws.ReadMessage() // keeps reading so the pong handler runs
	})
	c := dial(t, addr)
	for _, n := range sizes {
		m, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if len(m) != n || (n > 0 && (m[0] != 'a'+byte(n%26) || m[n-1] != m[0])) {
			t.Fatalf("size %d: got %d bytes", n, len(m))
		}
	}
	if m, err := c.ReadMessage(); err != nil || string(m) != "after ping" {
		t.Fatalf("after ping: %q %v", m, err)
	}
	select {
	case p := <-pongs:
		if p != "hi" {
			t.Fatalf("pong %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
}

func TestWritesAreMaskedAndRead(t *testing.T) {
	type msg struct {
		typ  int
		data string
	}
	got := make(chan msg, 3)
	addr := serve(t, func(ws *websocket.Conn) {
		for {
			typ, m, err := ws.ReadMessage()
			if err != nil {
				return
			}
			got <- msg{typ, string(m)}
		}
	})
	c := dial(t, addr)
	for i, s := range []string{"{}", strings.Repeat("x", 300), strings.Repeat("y", 70000), "\x00", strings.Repeat("\x01", 200)} {
		write, want := c.WriteText, websocket.TextMessage
		if i >= 3 {
			write, want = c.WriteBinary, websocket.BinaryMessage
		}
		if err := write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		if r := <-got; r.data != s || r.typ != want {
			t.Fatalf("server read %d bytes of type %d, sent %d of type %d", len(r.data), r.typ, len(s), want)
		}
	}
}

// Abort resets the connection: the server's next read fails at once with
// a reset, not a clean end of stream.
func TestAbortResets(t *testing.T) {
	ended := make(chan error, 1)
	addr := serve(t, func(ws *websocket.Conn) {
		_, _, err := ws.ReadMessage()
		ended <- err
	})
	c := dial(t, addr)
	if err := c.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err == nil || !strings.Contains(err.Error(), "reset") {
		t.Fatalf("server read ended with %v, want a reset", err)
	}
}

func TestCloseFrameAndRefusedHandshake(t *testing.T) {
	addr := serve(t, func(ws *websocket.Conn) {
		_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(3008, "slow consumer"))
		_, _, _ = ws.ReadMessage()
	})
	c := dial(t, addr)
	_, err := c.ReadMessage()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 3008 || ce.Reason != "slow consumer" {
		t.Fatalf("got %v", err)
	}
	_, err = Dial(context.Background(), addr, "/other", Options{})
	var he *HandshakeError
	if !errors.As(err, &he) || he.Status != http.StatusServiceUnavailable || he.Body != "busy" {
		t.Fatalf("got %v", err)
	}
}

// Serve sees the same messages as ReadMessage, split over many reads, and
// ends with the close frame.
func TestServeReadsEveryMessage(t *testing.T) {
	var want []string
	for i := range 3000 {
		want = append(want, strings.Repeat(string(rune('a'+i%26)), i%700))
	}
	want = append(want, strings.Repeat("z", 300000)) // grows the buffer, fragmented by the server
	addr := serve(t, func(ws *websocket.Conn) {
		for i, m := range want {
			if i == 1000 {
				_ = ws.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
			}
			w, _ := ws.NextWriter(websocket.TextMessage)
			_, _ = w.Write([]byte(m))
			_ = w.Close()
		}
		_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(3008, "bye"))
		_, _, _ = ws.ReadMessage()
	})
	c := dial(t, addr)
	var got int
	err := c.Serve(func(msg []byte) error {
		if string(msg) != want[got] {
			t.Fatalf("message %d: %d bytes, want %d", got, len(msg), len(want[got]))
		}
		got++
		return nil
	})
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 3008 || got != len(want) {
		t.Fatalf("got %d of %d messages, then %v", got, len(want), err)
	}
	stop := errors.New("stop")
	c2 := dial(t, serve(t, func(ws *websocket.Conn) {
		_ = ws.WriteMessage(websocket.TextMessage, []byte("one"))
		_, _, _ = ws.ReadMessage()
	}))
	if err := c2.Serve(func([]byte) error { return stop }); err != stop {
		t.Fatalf("handler error: got %v", err)
	}
}
