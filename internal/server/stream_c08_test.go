package server_test

import (
	"encoding/json"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// dialStalledStream opens a stream over a raw socket with a 4 KiB receive
// buffer, subscribed to ch, and never reads from it.
func dialStalledStream(t *testing.T, node *testkit.Node, kind, ch string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(node.BaseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	msg := testkit.EncodeCommands(protocol.TypeJSON,
		&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: node.Token("stalled")}},
		&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: ch}})
	if err := testkit.StreamRequest(node.BaseURL, kind, protocol.TypeJSON, msg).Write(conn); err != nil {
		t.Fatal(err)
	}
	return conn
}

// C08, the time limit, on the fallback transports: a stream client that
// stops reading while publications keep coming, far below the queue cap,
// is cut because it took nothing for client.write_timeout. That is a slow
// consumer: it is counted as 3008 (disconnects and queue overflows), the
// same as on WebSocket, not as a connection the client closed (3000).
func TestC08StalledStreamCountedAsSlowConsumer(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.QueueMaxBytes = 64 << 20 // far away: only the write timeout can fire
		c.Client.WriteTimeout = config.Duration(time.Second)
		c.Client.CommandsPerSecond = 0
	})
	h := node.Server.Hub()
	pad := strings.Repeat("x", 4096)
	for _, kind := range []string{testkit.SSE, testkit.HTTPStream} {
		before := h.Stats()
		ch := "room:stalled-" + kind
		conn := dialStalledStream(t, node, kind, ch)
		testkit.Eventually(t, 10*time.Second, func() bool { return h.Stats().Subscriptions == before.Subscriptions+1 }, "subscribed")
		// The kernel's buffers take a few MB before a write blocks; the
		// write timeout runs from then.
		deadline := time.Now().Add(60 * time.Second)
		for seq := 1; h.Stats().ConnectionsOpen > before.ConnectionsOpen; seq++ {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the stalled client is still connected after %d publications of 4 KiB", kind, seq-1)
			}
			data, _ := json.Marshal(map[string]any{"seq": seq, "pad": pad})
			node.Publish(ch, json.RawMessage(data))
		}
		after := h.Stats()
		if got := after.Disconnects[3008] - before.Disconnects[3008]; got != 1 {
			t.Errorf("%s: %d disconnects counted as 3008; want 1 (all: %v)", kind, got, after.Disconnects)
		}
		if got := after.Disconnects[3000] - before.Disconnects[3000]; got != 0 {
			t.Errorf("%s: %d disconnects counted as 3000 (closed by the client); want 0", kind, got)
		}
		if got := after.QueueOverflows - before.QueueOverflows; got != 1 {
			t.Errorf("%s: %d queue overflows counted; want 1", kind, got)
		}
		conn.Close()
	}
}
