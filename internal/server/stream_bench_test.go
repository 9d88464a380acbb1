package server_test

import (
	"bufio"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// BenchmarkIdleStreamMemory opens 1,000 idle streams of each fallback
// transport from raw sockets (a connect and nothing more; the client side
// is one socket each) and reports the live heap and goroutines each one
// adds to the process — server side plus that socket. Run with
// -benchtime=1x; numbers in docs/benchmarks.md.
func BenchmarkIdleStreamMemory(b *testing.B) {
	const n = 1000
	node := testkit.Start(b, func(c *config.Config) {
		c.Client.MaxConnectionsPerIP, c.Client.MaxConnectionsPerUser = 0, 0
	})
	addr := strings.TrimPrefix(node.BaseURL, "http://")
	token := node.Token("idle")
	for _, kind := range []string{testkit.SSE, testkit.HTTPStream} {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				heap0, g0 := liveHeap()
				conns := make([]net.Conn, 0, n)
				for i := 0; i < n; i++ {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						b.Fatal(err)
					}
					msg := testkit.EncodeCommands(protocol.TypeJSON, &protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: token}})
					if err := testkit.StreamRequest(node.BaseURL, kind, protocol.TypeJSON, msg).Write(c); err != nil {
						b.Fatal(err)
					}
					_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
					resp, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatalf("stream %d: %v %v", i, resp, err)
					}
					conns = append(conns, c)
				}
				testkit.Eventually(b, 30*time.Second, func() bool { return node.Server.Hub().Stats().ConnectionsOpen >= n }, "%d connected", n)
				heap1, g1 := liveHeap()
				b.ReportMetric(float64(heap1-heap0)/n, "heap-B/stream")
				b.ReportMetric(float64(g1-g0)/n, "goroutines/stream")
				for _, c := range conns {
					c.Close()
				}
				testkit.Eventually(b, 30*time.Second, func() bool { return node.Server.Hub().Stats().ConnectionsOpen == 0 }, "all closed")
			}
		})
	}
}

func liveHeap() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, runtime.NumGoroutine()
}
