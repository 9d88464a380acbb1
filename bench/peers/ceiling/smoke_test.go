package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// urlWriter hands over the "listening on" URL and keeps the rest.
type urlWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	url chan string
}

func (w *urlWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if u, ok := strings.CutPrefix(w.buf.String(), "listening on "); ok && strings.Contains(u, "\n") {
		select {
		case w.url <- u[:strings.IndexByte(u, '\n')]:
		default:
		}
	}
	return len(p), nil
}

func (w *urlWriter) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(w.buf.String()), "\n")
	return lines[len(lines)-1]
}

// startServe runs serve with args; done yields its exit code.
func startServe(t *testing.T, args ...string) (url string, out *urlWriter, done chan int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	out = &urlWriter{url: make(chan string, 1)}
	done = make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), out, io.Discard) }()
	select {
	case url = <-out.url:
	case code := <-done:
		t.Fatalf("serve exited with %d", code)
	}
	return url, out, done
}

// TestSmoke runs serve and client in-process: 100 connections, 200 frames
// of 64 bytes each, in both modes; the client counts exactly 20,000 frames.
func TestSmoke(t *testing.T) {
	for _, mode := range [][]string{{"-coalesce=false"}, {"-coalesce=true"}, {"-coalesce=true", "-batch", "16"}} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			flags := append([]string{"-conns", "100", "-count", "200", "-size", "64", "-start-delay", "100ms"}, mode...)
			url, sout, sdone := startServe(t, flags...)
			var cout bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := runClient(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), clientConfig{
				url: url, conns: 100, count: 200, size: 64, sourceAddrs: 4, dialers: 8, timeout: 30 * time.Second,
			}, &cout)
			if err != nil {
				t.Fatal(err)
			}
			if code := <-sdone; code != 0 {
				t.Fatalf("serve exited with %d", code)
			}
			var s blastResult
			var c countResult
			if err := json.Unmarshal([]byte(sout.lastLine()), &s); err != nil {
				t.Fatalf("serve result %q: %v", sout.lastLine(), err)
			}
			if err := json.Unmarshal(cout.Bytes(), &c); err != nil {
				t.Fatalf("client result %q: %v", cout.String(), err)
			}
			if s.Frames != 20000 || c.Frames != 20000 || c.Complete != 100 || s.DrainSeconds < 0 {
				t.Fatalf("serve %+v\nclient %+v", s, c)
			}
			if !s.coalesced() && s.Writes < 20000 {
				t.Fatalf("one frame per write made only %d writes", s.Writes)
			}
			t.Logf("serve: %s %.0f frames/s, %d writes, %d EAGAIN, CPU %.3f+%.3f s; client %.0f frames/s",
				s.Mode, s.FramesPerSec, s.Writes, s.WouldBlock, s.CPUUser, s.CPUSys, c.FramesPerSec)
		})
	}
}

func (r blastResult) coalesced() bool { return r.Mode == "coalesce" }

// TestIndependentClient: a WebSocket library's client upgrades, gets its
// subprotocol echoed and reads the frames as text messages.
func TestIndependentClient(t *testing.T) {
	url, _, done := startServe(t, "-conns", "1", "-count", "3", "-size", "300", "-start-delay", "0s")
	d := websocket.Dialer{Subprotocols: []string{"centrifuge-json"}}
	c, resp, err := d.Dial("ws"+strings.TrimPrefix(url, "http")+"/connection/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "centrifuge-json" {
		t.Fatalf("subprotocol %q", got)
	}
	for i := range 3 {
		typ, msg, err := c.ReadMessage()
		if err != nil || typ != websocket.TextMessage || len(msg) != 300 {
			t.Fatal(fmt.Sprintf("message %d: type %d, %d bytes, %v", i, typ, len(msg), err))
		}
	}
	if code := <-done; code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
}
