package websocket

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIdleConnMemory reports the heap and goroutines one idle, upgraded
// connection costs (server side, plus the client's socket in this same
// process, so heap-B/conn is an upper bound), without and with
// permessage-deflate negotiated. Run with -benchtime=1x.
func BenchmarkIdleConnMemory(b *testing.B) {
	b.Run("plain", func(b *testing.B) { idleConnMemory(b, false) })
	b.Run("deflate", func(b *testing.B) { idleConnMemory(b, true) })
}

func idleConnMemory(b *testing.B, deflate bool) {
	const n = 400
	acc := &testAcceptor{}
	ts := startServer(b, Config{Compression: true}, acc)
	var extra []string
	if deflate {
		extra = append(extra, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
	}
	var conns []net.Conn
	var ms runtime.MemStats
	for b.Loop() {
		for _, c := range conns {
			_ = c.Close()
		}
		conns = conns[:0]
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap0, g0 := ms.HeapAlloc, runtime.NumGoroutine()
		for range n {
			nc, err := net.Dial("tcp", ts.addr)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.WriteString(nc, upgradeRequest(ts.addr, extra...))
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReaderSize(nc, 256), nil)
			if err != nil || resp.StatusCode != 101 {
				b.Fatalf("upgrade: %v", err)
			}
			if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != deflate {
				b.Fatalf("permessage-deflate negotiated: %v, want %v", got, deflate)
			}
			conns = append(conns, nc)
		}
		waitFor(b, 5*time.Second, "sessions", func() bool { return ts.Stats().ConnectionsOpen >= n })
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(int64(ms.HeapAlloc)-int64(heap0))/n, "heap-B/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
	}
	for _, c := range conns {
		_ = c.Close()
	}
}
