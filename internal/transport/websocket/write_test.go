package websocket

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/netpoll"
)

// C13: 50 goroutines write 200 messages each to one connection while the
// client pings it; every frame is valid, each writer's order is kept, and
// the race detector sees nothing.
func TestConcurrentWrites(t *testing.T) {
	const writers, perWriter = 50, 200
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)
	ws, _, err := gorilla.DefaultDialer.Dial(ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	s := acc.waitSession(t, 0)

	pongs := make(chan struct{}, 1024)
	ws.SetPongHandler(func(string) error {
		select {
		case pongs <- struct{}{}:
		default:
		}
		return nil
	})
	stopPing := make(chan struct{})
	pingDone := make(chan struct{})
	go func() {
		defer close(pingDone)
		for {
			select {
			case <-stopPing:
				return
			default:
			}
			if ws.WriteControl(gorilla.PingMessage, []byte("p"), time.Now().Add(10*time.Second)) != nil {
				return
			}
			time.Sleep(time.Millisecond) // pacing, not synchronisation
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perWriter {
				size := (g*perWriter + n) % 7 * 300 // 0 to 1.8 KB
				if n%50 == 0 {
					size = 40000 // large ones make the kernel take frames in pieces
				}
				pad := strings.Repeat("x", size)
				msg := fmt.Sprintf(`{"g":%d,"n":%d,"pad":%q}`, g, n, pad)
				if err := s.tr.Write([]byte(msg)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}

	next := make([]int, writers)
	for i := range writers * perWriter {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		mt, p, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v (buffered %d)", i, err, s.tr.Buffered())
		}
		var m struct{ G, N int }
		if mt != gorilla.TextMessage || json.Unmarshal(p, &m) != nil {
			t.Fatalf("message %d is not a JSON text frame: %.60q", i, p)
		}
		if m.N != next[m.G] {
			t.Fatalf("writer %d: got message %d, want %d", m.G, m.N, next[m.G])
		}
		next[m.G]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Write: %v", err)
	}
	close(stopPing)
	<-pingDone
	if len(pongs) == 0 {
		t.Fatal("no pong came back during the burst")
	}
	waitFor(t, 10*time.Second, "Buffered back to 0", func() bool { return s.tr.Buffered() == 0 })
}

// C13 reset variant: the client resets the connection in the middle of a
// burst; writers get errors wrapping net.ErrClosed, HandleClosed runs once
// within 1 s, and another client is unaffected.
func TestConcurrentWritesPeerReset(t *testing.T) {
	acc := &testAcceptor{echo: true}
	ts := startServer(t, Config{}, acc)
	healthy := newHealthyClient(t, ts.url)
	c := dialUpgraded(t, ts.addr)
	s := acc.waitSession(t, 1)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	var closedErrs sync.Map
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := []byte(strings.Repeat("y", 1000+g))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.tr.Write(payload); err != nil {
					closedErrs.Store(g, err)
					return
				}
			}
		}()
	}
	_, _, _ = c.readFrame(time.Now().Add(10 * time.Second)) // the burst is flowing
	_ = c.nc.(*net.TCPConn).SetLinger(0)
	_ = c.nc.Close() // RST
	start := time.Now()
	select {
	case <-s.closedC:
	case <-time.After(10 * time.Second):
		t.Fatal("HandleClosed not called within 10 s of the reset")
	}
	t.Logf("HandleClosed %v after the reset", time.Since(start))
	waitFor(t, 10*time.Second, "every writer stopped by an error", func() bool {
		n := 0
		closedErrs.Range(func(_, v any) bool {
			if !errors.Is(v.(error), net.ErrClosed) {
				t.Errorf("write error %v does not wrap net.ErrClosed", v)
			}
			n++
			return true
		})
		return n == 50
	})
	close(stop)
	wg.Wait()
	if s.closeCount() != 1 {
		t.Fatalf("HandleClosed called %d times", s.closeCount())
	}
	healthy.check()
}

// Buffered counts exactly what the kernel has not taken: it never exceeds
// what was written minus what the client read (plus the one write(2) that
// may be in progress: the client can read its first bytes before it
// returns and is counted), and returns to 0 once the client has read
// everything.
func TestBufferedExact(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)
	c := dialUpgraded(t, ts.addr)
	s := acc.waitSession(t, 0)

	payload := []byte(strings.Repeat("z", 60000))
	frameLen := len(payload) + 4 // 126-form header
	const frames = 200           // 12 MB: more than loopback buffers hold
	for range frames {
		if err := s.tr.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	total := frames * frameLen
	if b := s.tr.Buffered(); b <= 0 || b > total {
		t.Fatalf("Buffered = %d with the client not reading, want in (0, %d]", b, total)
	}
	read := 0
	for range frames {
		op, p, err := c.readFrame(time.Now().Add(5 * time.Second))
		if err != nil || op != opText || len(p) != len(payload) {
			t.Fatalf("frame: op %d len %d %v", op, len(p), err)
		}
		read += frameLen
		if b := s.tr.Buffered(); b > total-read+netpoll.WriteChunk {
			t.Fatalf("Buffered = %d after the client read %d of %d bytes", b, read, total)
		}
	}
	waitFor(t, 10*time.Second, "Buffered == 0", func() bool { return s.tr.Buffered() == 0 })
}
