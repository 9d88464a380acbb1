package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// streamWitness is a healthy SSE client that must keep receiving the
// API's publications while a test attacks the stream endpoints.
type streamWitness struct {
	t    *testing.T
	node *testkit.Node
	s    *testkit.Stream
	ch   string
	sent int
}

func newStreamWitness(t *testing.T, node *testkit.Node, ch string) *streamWitness {
	sub := &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}
	s := testkit.DialStream(t, node.BaseURL, testkit.SSE, protocol.TypeJSON, node.Token("witness"), sub)
	if rep := s.Reply(sub.Id); rep.Error != nil {
		t.Fatalf("witness subscribe: %+v", rep)
	}
	return &streamWitness{t: t, node: node, s: s, ch: ch}
}

func (w *streamWitness) check(step string) {
	w.t.Helper()
	w.sent++
	w.node.Publish(w.ch, map[string]any{"step": step})
	if got := len(w.s.WaitPubs(w.ch, w.sent, 10*time.Second)); got != w.sent {
		w.t.Fatalf("witness has %d publications after %s; want %d", got, step, w.sent)
	}
}

// C06, JSON layer over the fallback transports: commands that cannot be
// decoded at all end the stream with the disconnect push 3501; what
// decodes is answered 107 with the command id on the stream; values are
// never coerced; more commands than max_message_bytes in one emulation
// request get 413. The witness keeps receiving and goroutines return to
// their baseline. (Malformed connect commands are refused before the
// stream opens: TestStreamOpenRefusals.)
func TestC06MalformedJSONOverStreams(t *testing.T) {
	node := c06Node(t)
	const hist = "room:c06s"
	for i := 0; i < 3; i++ {
		node.Publish(hist, i)
	}
	epoch := node.Epoch(hist)
	w := newStreamWitness(t, node, "room:c06s-witness")
	w.check("start")
	baseline := runtime.NumGoroutine()
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	type input struct {
		name  string
		data  string
		close uint32                                  // disconnect push expected
		check func(t *testing.T, rep *protocol.Reply) // else the reply to id 100
	}
	wantErr := func(code uint32, says string) func(*testing.T, *protocol.Reply) {
		return func(t *testing.T, rep *protocol.Reply) {
			if rep.Error == nil || rep.Error.Code != code || !strings.Contains(rep.Error.Message, says) {
				t.Fatalf("reply %+v; want error %d mentioning %q", rep, code, says)
			}
		}
	}
	inputs := []input{
		{name: "not JSON", data: "this is not JSON", close: 3501},
		{name: "top-level array", data: `[{"id":100,"rpc":{"method":"time"}}]`, close: 3501},
		{name: "id as a string", data: `{"id":"100","rpc":{"method":"time"}}`, close: 3501},
		{name: "id -1", data: `{"id":-1,"rpc":{"method":"time"}}`, close: 3501},
		{name: "id 2^64", data: `{"id":18446744073709551616,"rpc":{"method":"time"}}`, close: 3501},
		{name: "duplicate id keys", data: `{"id":100,"id":7,"rpc":{"method":"time"}}`, close: 3501},
		{name: "subscribe channel empty", data: `{"id":100,"subscribe":{"channel":""}}`, check: wantErr(107, "empty")},
		{name: "subscribe channel object", data: `{"id":100,"subscribe":{"channel":{"a":1}}}`, check: wantErr(107, "command 100")},
		{name: "subscribe channel number", data: `{"id":100,"subscribe":{"channel":5}}`, check: wantErr(107, "command 100")},
		{name: "history offset \"abc\"", data: fmt.Sprintf(`{"id":100,"history":{"channel":%q,"since":{"offset":"abc","epoch":%q}}}`, hist, epoch), check: wantErr(107, "command 100")},
		{name: "history offset -5", data: fmt.Sprintf(`{"id":100,"history":{"channel":%q,"since":{"offset":-5,"epoch":%q}}}`, hist, epoch), check: wantErr(107, "command 100")},
		{name: "history offset 1e309", data: fmt.Sprintf(`{"id":100,"history":{"channel":%q,"since":{"offset":1e309,"epoch":%q}}}`, hist, epoch), check: wantErr(107, "command 100")},
		{name: "history offset 2^53+1", data: fmt.Sprintf(`{"id":100,"history":{"channel":%q,"limit":10,"since":{"offset":9007199254740993,"epoch":%q}}}`, hist, epoch),
			check: wantErr(112, "9007199254740993 is ahead of the channel's newest, 3")},
		{name: "publish data nested 100,000 deep", data: `{"id":100,"publish":{"channel":"deep:x","data":` + deep + `}}`, check: wantErr(107, "nests more than")},
		{name: "unknown method", data: `{"id":100,"foo":{}}`, check: wantErr(107, "command 100")},
	}
	kinds := []string{testkit.SSE, testkit.HTTPStream}
	for i := 0; i < 2*len(inputs); i++ {
		in, kind := inputs[i%len(inputs)], kinds[i%2]
		s := testkit.DialStream(t, node.BaseURL, kind, protocol.TypeJSON, node.Token("c06"))
		body := testkit.EmulationBody(protocol.TypeJSON, s.Node, s.Session, []byte(in.data))
		if status, msg, err := s.SendRaw(body); err != nil || status != http.StatusNoContent {
			t.Fatalf("%s over %s: emulation status %d %q %v", in.name, kind, status, msg, err)
		}
		if in.close != 0 {
			d, _ := s.WaitEnd(5 * time.Second)
			if d == nil || d.Code != in.close {
				t.Fatalf("%s over %s: disconnect %+v; want %d", in.name, kind, d, in.close)
			}
		} else {
			t.Run(fmt.Sprintf("%s over %s", in.name, kind), func(t *testing.T) { in.check(t, s.Reply(100)) })
		}
		s.Close()
		w.check(in.name)
	}
	s := testkit.DialStream(t, node.BaseURL, testkit.HTTPStream, protocol.TypeJSON, node.Token("c06"))
	lines := make([]string, 10000)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"id":%d,"rpc":{"method":"time"}}`, i+1)
	}
	status, msg, _ := s.SendRaw(testkit.EmulationBody(protocol.TypeJSON, s.Node, s.Session, []byte(strings.Join(lines, "\n"))))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "larger than the limit") {
		t.Fatalf("10,000 commands in one emulation request: %d %q; want 413", status, msg)
	}
	if rep := s.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}); rep.Error != nil {
		t.Fatalf("stream after the 413: %+v", rep)
	}
	s.Close()
	w.check("10,000 commands")
	goroutinesBackTo(t, baseline, 10, 10*time.Second)
}

// C07 on the stream endpoints: headers trickled to any of them are cut at
// client.handshake_timeout; a body trickled to HTTP-streaming or the
// emulation endpoint gets 408 at client.frame_timeout; and a healthy
// stream that only exchanges pings outlives every one of those timers
// (and the HTTP server's whole-request timeouts), then still receives.
func TestC07SlowlorisOnStreams(t *testing.T) {
	const h = time.Second
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.HandshakeTimeout = config.Duration(h)
		c.Client.FrameTimeout = config.Duration(h)
		c.Client.WriteTimeout = config.Duration(h)
		c.Client.PingInterval = config.Duration(500 * time.Millisecond)
		c.Client.PongTimeout = config.Duration(400 * time.Millisecond)
	})
	addr := strings.TrimPrefix(node.BaseURL, "http://")
	// Healthy streams, opened first.
	var healthy []*testkit.Stream
	for _, k := range streamKinds {
		sub := &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "room:c07s"}}
		s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("healthy"), sub)
		healthy = append(healthy, s)
	}
	opened := time.Now()

	var wg sync.WaitGroup
	fail := make(chan string, 16)
	trickle := func(name string, lines []string, want func(status string, err error) bool) {
		defer wg.Done()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fail <- fmt.Sprintf("%s: dial: %v", name, err)
			return
		}
		defer c.Close()
		start := time.Now()
		go func() {
			for _, l := range lines {
				if _, err := c.Write([]byte(l)); err != nil {
					return
				}
				time.Sleep(300 * time.Millisecond) // the attacker's pace, not synchronisation
			}
		}()
		_ = c.SetReadDeadline(time.Now().Add(h + 3*time.Second))
		status, err := bufio.NewReader(c).ReadString('\n')
		took := time.Since(start)
		if !want(status, err) || took > h+time.Second+500*time.Millisecond {
			fail <- fmt.Sprintf("%s: after %s read %q, %v", name, took, status, err)
		}
	}
	closedOrTimeout := func(status string, err error) bool {
		return err == io.EOF || strings.HasPrefix(status, "HTTP/1.1 408")
	}
	is408 := func(status string, err error) bool { return strings.HasPrefix(status, "HTTP/1.1 408") }
	headers := func(path, method string) []string {
		l := []string{method + " " + path + " HTTP/1.1\r\n", "Host: 127.0.0.1\r\n"}
		for i := 0; i < 20; i++ {
			l = append(l, fmt.Sprintf("X-Slow-%d: y\r\n", i))
		}
		return l
	}
	body := func(path string) []string {
		l := []string{"POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"}
		for i := 0; i < 20; i++ {
			l = append(l, "          ")
		}
		return l
	}
	for i := 0; i < 5; i++ {
		wg.Add(5)
		go trickle("headers to /connection/sse", headers("/connection/sse?cf_connect=x", "GET"), closedOrTimeout)
		go trickle("headers to /connection/http_stream", headers("/connection/http_stream", "POST"), closedOrTimeout)
		go trickle("headers to /emulation", headers("/emulation", "POST"), closedOrTimeout)
		go trickle("body to /connection/http_stream", body("/connection/http_stream"), is408)
		go trickle("body to /emulation", body("/emulation"), is408)
	}
	wg.Wait()
	close(fail)
	for f := range fail {
		t.Error(f)
	}
	// 3 × (the server's write timeout: handshake + frame + write timeouts).
	stay := 3 * 3 * h
	for _, s := range healthy {
		if err := s.WaitFor(time.Until(opened.Add(stay)), func() bool { return false }); err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("%s stream ended early: %v", s.Kind, err)
		}
	}
	node.Publish("room:c07s", "still here")
	for _, s := range healthy {
		s.WaitPubs("room:c07s", 1, 10*time.Second)
		if s.Pings() < 10 {
			t.Fatalf("%s stream saw %d pings in %s; want pings every 500ms", s.Kind, s.Pings(), stay)
		}
	}
}

// C16 over the fallback transports: subscribing twice — in one emulation
// request, in two concurrent ones — or subscribe, unsubscribe, subscribe
// without waiting: the second subscribe gets 105 (or the sequence ends
// subscribed once), and m1–m10 arrive exactly once.
func TestC16SubscribeTwiceOverStreams(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, k := range streamKinds {
		for _, mode := range []string{"one request", "concurrent requests", "sub unsub sub"} {
			t.Run(streamName(k.kind, k.proto)+" "+mode, func(t *testing.T) {
				ch := "room:c16s-" + strings.NewReplacer("/", "-", " ", "-").Replace(streamName(k.kind, k.proto)+"-"+mode)
				s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("c16"))
				sub := func() *protocol.Command {
					return &protocol.Command{Id: s.NewID(), Subscribe: &protocol.SubscribeRequest{Channel: ch}}
				}
				var cmds []*protocol.Command
				switch mode {
				case "one request":
					cmds = []*protocol.Command{sub(), sub()}
					send(t, s, cmds...)
				case "concurrent requests":
					cmds = []*protocol.Command{sub(), sub()}
					var wg sync.WaitGroup
					for _, c := range cmds {
						wg.Add(1)
						go func() { defer wg.Done(); send(t, s, c) }()
					}
					wg.Wait()
				default:
					cmds = []*protocol.Command{sub(), {Id: s.NewID(), Unsubscribe: &protocol.UnsubscribeRequest{Channel: ch}}, sub()}
					send(t, s, cmds...)
				}
				ok, dup := 0, 0
				for _, c := range cmds {
					rep := s.Reply(c.Id)
					switch {
					case c.Subscribe != nil && rep.Error == nil && rep.Subscribe != nil:
						ok++
					case c.Subscribe != nil && rep.Error != nil && rep.Error.Code == 105:
						dup++
					case c.Unsubscribe != nil && rep.Error == nil:
					default:
						t.Fatalf("reply %+v to %+v", rep, c)
					}
				}
				if mode == "sub unsub sub" && ok != 2 || mode != "sub unsub sub" && (ok != 1 || dup != 1) {
					t.Fatalf("%d subscribed, %d already subscribed", ok, dup)
				}
				for i := 1; i <= 10; i++ {
					node.Publish(ch, map[string]int{"m": i})
				}
				s.WaitPubs(ch, 10, 10*time.Second)
				s.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}) // later than any publication
				if pubs := s.Pubs(ch); len(pubs) != 10 {
					t.Fatalf("%d publications; want 10 exactly", len(pubs))
				}
			})
		}
	}
}

func send(t *testing.T, s *testkit.Stream, cmds ...*protocol.Command) {
	if status, body, err := s.Send(cmds...); err != nil || status != http.StatusNoContent {
		t.Errorf("emulation request: %d %q %v", status, body, err)
	}
}

// C17 over the fallback transports: SSE and HTTP-streaming (JSON and
// Protobuf) subscribers, next to WebSocket ones, see one API publisher's
// awaited publications and a stream client's pipelined publishes (sent
// as emulation requests without waiting for replies) with seq strictly
// increasing, no gaps, and offsets contiguous from 1.
func TestC17OrderOverStreams(t *testing.T) {
	const n = 500
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.CommandsPerSecond = 0
		ns := config.NamespaceDefaults("c17s")
		ns.HistorySize, ns.Recovery, ns.Publish = 2000, true, config.PublishAuthenticated
		c.Namespaces = append(c.Namespaces, ns)
	})
	chans := []string{"c17s:awaited", "c17s:pipelined"}
	var subs []*testkit.Stream
	for i := 0; i < 2; i++ {
		for _, k := range streamKinds {
			var cmds []*protocol.Command
			for _, ch := range chans {
				cmds = append(cmds, &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}})
			}
			s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token(fmt.Sprintf("sub-%d", i)), cmds...)
			for _, c := range cmds {
				if rep := s.Reply(c.Id); rep.Error != nil {
					t.Fatalf("subscribe: %+v", rep)
				}
			}
			subs = append(subs, s)
		}
	}
	pipe := testkit.DialStream(t, node.BaseURL, testkit.HTTPStream, protocol.TypeProtobuf, node.Token("piper"))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for seq := 1; seq <= n; seq++ {
			data, _ := json.Marshal(map[string]int{"seq": seq})
			if status, err := testkit.CallAPI(node.BaseURL, node.APIKey, "publish", map[string]any{"channel": chans[0], "data": json.RawMessage(data)}, nil); err != nil || status != 200 {
				t.Errorf("API publish %d: %d %v", seq, status, err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		// Batches of 50 publishes per emulation request, sent one after
		// the other without waiting for replies.
		for seq := 1; seq <= n; seq += 50 {
			var cmds []*protocol.Command
			for j := seq; j < seq+50; j++ {
				cmds = append(cmds, &protocol.Command{Id: pipe.NewID(), Publish: &protocol.PublishRequest{Channel: chans[1], Data: []byte(fmt.Sprintf(`{"seq":%d}`, j))}})
			}
			send(t, pipe, cmds...)
		}
	}()
	wg.Wait()
	for _, s := range subs {
		for _, ch := range chans {
			pubs := s.WaitPubs(ch, n, 30*time.Second)
			for i, p := range pubs {
				var d struct{ Seq int }
				if err := json.Unmarshal(p.Data, &d); err != nil || d.Seq != i+1 || p.Offset != uint64(i+1) {
					t.Fatalf("%s/%s on %s: publication %d has seq %d offset %d; want %d", s.Kind, s.Proto, ch, i, d.Seq, p.Offset, i+1)
				}
			}
			if len(pubs) != n {
				t.Fatalf("%s/%s on %s: %d publications; want %d", s.Kind, s.Proto, ch, len(pubs), n)
			}
		}
	}
}
