package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Two nodes on one NATS (no sticky sessions): a stream opened on node A
// whose commands all go to node B's emulation endpoint works as if they
// had gone to A — B hands them to A over the control bus. A session that
// no node holds gets 404 through either node.
func TestEmulationRoutedToTheSessionsNode(t *testing.T) {
	natsURL := testkit.StartNATS(t)
	dir := t.TempDir() // shared: both nodes use the same generated secrets
	start := func(name string) *testkit.Node {
		return testkit.Start(t, func(c *config.Config) { c.NATSURL, c.NodeName, c.DataDir = natsURL, name, dir })
	}
	a, b := start("node-a"), start("node-b")
	for _, k := range streamKinds {
		t.Run(streamName(k.kind, k.proto), func(t *testing.T) {
			ch := "room:routed-" + strings.ReplaceAll(streamName(k.kind, k.proto), "/", "-")
			s := testkit.DialStream(t, a.BaseURL, k.kind, k.proto, a.Token("roamer"))
			if s.Node != "node-a" {
				t.Fatalf("connect reply names node %q; want node-a", s.Node)
			}
			s.EmulationURL = b.BaseURL + "/emulation"
			if rep := s.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}); rep.Error != nil || rep.Subscribe == nil {
				t.Fatalf("subscribe through node-b: %+v", rep)
			}
			if rep := s.Call(&protocol.Command{Publish: &protocol.PublishRequest{Channel: ch, Data: []byte(`{"via":"b"}`)}}); rep.Error != nil {
				t.Fatalf("publish through node-b: %+v", rep)
			}
			b.Publish(ch, map[string]string{"via": "api-b"})
			pubs := s.WaitPubs(ch, 2, 10*time.Second)
			if string(pubs[0].Data) != `{"via":"b"}` || pubs[1].Offset != 2 {
				t.Fatalf("publications %v", pubs)
			}
			if st := b.Server.Hub().Stats(); st.ConnectionsOpen != 0 {
				t.Fatalf("node-b holds %d connections; want none (the session lives on node-a)", st.ConnectionsOpen)
			}
		})
	}
	ping := testkit.EncodeCommands(protocol.TypeJSON, &protocol.Command{Id: 1, Ping: &protocol.PingRequest{}})
	for _, tc := range []struct{ via, node string }{{b.BaseURL, "node-a"}, {a.BaseURL, "node-b"}, {b.BaseURL, "node-b"}} {
		resp, err := http.Post(tc.via+"/emulation", "application/json",
			strings.NewReader(string(testkit.EmulationBody(protocol.TypeJSON, tc.node, "no-such-session", ping))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown session on %s via %s: %d; want 404", tc.node, tc.via, resp.StatusCode)
		}
	}
}

// A stream client that stops reading is disconnected as a slow consumer
// (3008) once its queue would pass client.queue_max_bytes or nothing
// drains for client.write_timeout; a healthy stream subscriber of the same
// channel receives everything, in order.
func TestStreamSlowConsumerIsDisconnected(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.QueueMaxBytes = 256 << 10
		c.Client.WriteTimeout = config.Duration(time.Second)
		c.Client.CommandsPerSecond = 0
	})
	h := node.Server.Hub()
	want3008 := h.Stats().Disconnects[3008]
	for i, kind := range []string{testkit.SSE, testkit.HTTPStream} {
		// The slow client: a raw socket with a 4 KiB receive buffer that
		// sends its stream request (connect and subscribe) and never reads.
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		conn, err := d.Dial("tcp", strings.TrimPrefix(node.BaseURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		ch := "room:slow-" + kind
		msg := testkit.EncodeCommands(protocol.TypeJSON,
			&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: node.Token("slowpoke")}},
			&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: ch}})
		if err := testkit.StreamRequest(node.BaseURL, kind, protocol.TypeJSON, msg).Write(conn); err != nil {
			t.Fatal(err)
		}
		fast := testkit.DialStream(t, node.BaseURL, kind, protocol.TypeJSON, node.Token("fast"),
			&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}})
		testkit.Eventually(t, 10*time.Second, func() bool { return h.Stats().Subscriptions >= int64(2) }, "both subscribed")
		pad := strings.Repeat("x", 4096)
		sent := 0
		for h.Stats().Disconnects[3008] < want3008+int64(i+1) {
			if sent == 5000 {
				t.Fatalf("%s: the slow client is still connected after %d publications of 4 KiB", kind, sent)
			}
			sent++
			data, _ := json.Marshal(map[string]any{"seq": sent, "pad": pad})
			node.Publish(ch, json.RawMessage(data))
		}
		pubs := fast.WaitPubs(ch, sent, 30*time.Second)
		for j := 1; j < len(pubs); j++ {
			if pubs[j].Offset != pubs[j-1].Offset+1 {
				t.Fatalf("%s: healthy subscriber got offset %d after %d", kind, pubs[j].Offset, pubs[j-1].Offset)
			}
		}
		if len(pubs) != sent {
			t.Fatalf("%s: healthy subscriber got %d publications; want %d", kind, len(pubs), sent)
		}
		fast.Close()
		conn.Close()
		t.Logf("%s: slow client disconnected after %d publications of 4 KiB", kind, sent)
	}
}

// On shutdown (SIGTERM to the real binary) a stream client gets the
// disconnect push 3001 (reconnect), its stream ends, and the process
// exits 0 within the drain window and its shutdown timeout.
func TestStreamsOnShutdown(t *testing.T) {
	p := testkit.StartProcess(t, t.TempDir())
	var streams []*testkit.Stream
	for _, k := range streamKinds {
		streams = append(streams, testkit.DialStream(t, p.BaseURL, k.kind, k.proto, p.Token(fmt.Sprintf("bye-%s", k.kind))))
	}
	code, err := p.Signal(syscall.SIGTERM, 30*time.Second)
	if err != nil || code != 0 {
		t.Fatalf("exit code %d, %v; want 0", code, err)
	}
	for _, s := range streams {
		d, _ := s.WaitEnd(5 * time.Second)
		if d == nil || d.Code != 3001 {
			t.Fatalf("%s/%s: disconnect %+v; want 3001", s.Kind, s.Proto, d)
		}
	}
}
