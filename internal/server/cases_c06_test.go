package server_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// jsonInput is one malformed (or borderline) JSON-layer input, sent on a
// fresh authenticated connection. Exactly one of close and reply applies.
type jsonInput struct {
	name   string
	frame  func(id uint32) string                    // the frame, given the command id to expect
	binary bool                                      // send as a binary WebSocket message
	close  int                                       // expected close code; no reply may come first
	reply  func(t *testing.T, c *pclient, id uint32) // checks the reply(s); c.label names the input
}

// wantReplyError expects the reply to id to be error code, mentioning
// contains.
func wantReplyError(code uint32, contains string) func(*testing.T, *pclient, uint32) {
	return func(t *testing.T, c *pclient, id uint32) {
		t.Helper()
		rep := c.reply(id)
		if rep.Error == nil || rep.Error.Code != code || !strings.Contains(rep.Error.Message, contains) {
			t.Fatalf("%sreply %+v; want error %d mentioning %q", c.label, rep, code, contains)
		}
	}
}

// c06Node starts a node for the JSON-layer inputs: max_message_bytes is
// raised to 256 KiB so that data nested 100,000 levels deep (200,000
// bytes) fits in one message, and namespace "deep" takes such data so that
// its depth, not its size, is what gets checked.
func c06Node(t *testing.T) *testkit.Node {
	return testkit.Start(t, func(c *config.Config) {
		c.Client.MaxMessageBytes = 256 << 10
		ns := config.NamespaceDefaults("deep")
		ns.Publish, ns.MaxPublicationBytes = config.PublishAuthenticated, 512<<10
		c.Namespaces = append(c.Namespaces, ns)
	})
}

// runJSONInputs sends the inputs round-robin, each on a fresh authenticated
// connection, for the given number of iterations; after each one the
// witness must receive a publication. Afterwards the goroutine count is
// back to where it was.
func runJSONInputs(t *testing.T, node *testkit.Node, inputs []jsonInput, iterations int) {
	w := newWitness(t, node, "room:c06-witness")
	w.check("start")
	baseline := runtime.NumGoroutine()
	for i := 0; i < iterations; i++ {
		in := inputs[i%len(inputs)]
		c := dialP(t, node.WSURL)
		c.connect(node.Token("c06"))
		id := c.id()
		mt := websocket.TextMessage
		if in.binary {
			mt = websocket.BinaryMessage
		}
		if err := c.write(mt, []byte(in.frame(id))); err != nil {
			t.Fatalf("%s: write: %v", in.name, err)
		}
		if in.close != 0 {
			code, reason := c.closed(5 * time.Second)
			if code != in.close {
				t.Fatalf("%s: closed with %d %q; want %d", in.name, code, reason, in.close)
			}
			if len(c.replies) != 1 { // the connect reply only: nothing coerced and answered
				t.Fatalf("%s: %d replies before the close; want none but connect's", in.name, len(c.replies)-1)
			}
		} else {
			c.label = in.name + ": "
			in.reply(t, c, id)
		}
		_ = c.ws.Close()
		w.check(in.name)
	}
	goroutinesBackTo(t, baseline, 10, 10*time.Second)
}

// C06, JSON layer through the hub: what cannot be decoded at all closes the
// connection with 3501 (bad request); what decodes is answered 107 with the
// command id; values are never coerced; the process stays up and the
// witness keeps receiving; goroutines return to their baseline after 100
// iterations. (The frame layer is covered by the transport's tests.)
func TestC06MalformedJSONThroughHub(t *testing.T) {
	node := c06Node(t)
	const hist = "room:c06"
	for i := 0; i < 3; i++ {
		node.Publish(hist, i)
	}
	epoch := node.Epoch(hist)
	f := func(format string) func(uint32) string {
		return func(id uint32) string { return fmt.Sprintf(format, id) }
	}
	batch := func(n int) func(uint32) string {
		return func(id uint32) string {
			lines := make([]string, n)
			for i := range lines {
				lines[i] = fmt.Sprintf(`{"id":%d,"rpc":{"method":"time"}}`, int(id)+i)
			}
			return strings.Join(lines, "\n")
		}
	}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	inputs := []jsonInput{
		{name: "not JSON", frame: f("this is not JSON %d"), close: 3501},
		{name: "top-level array", frame: f(`[{"id":%d,"rpc":{"method":"time"}}]`), close: 3501},
		{name: "id as a string", frame: f(`{"id":"%d","rpc":{"method":"time"}}`), close: 3501},
		{name: "id -1", frame: f(`{"id":-1,"rpc":{"method":"time"},"x":%d}`), close: 3501},
		{name: "id 2^64", frame: f(`{"id":18446744073709551616,"rpc":{"method":"time"},"x":%d}`), close: 3501},
		{name: "duplicate id keys (ambiguous id)", frame: f(`{"id":%d,"id":7,"rpc":{"method":"time"}}`), close: 3501},
		{name: "subscribe channel empty", frame: f(`{"id":%d,"subscribe":{"channel":""}}`), reply: wantReplyError(107, "empty")},
		{name: "history offset 2^53+1 is a position the channel never gave", frame: func(id uint32) string {
			return fmt.Sprintf(`{"id":%d,"history":{"channel":%q,"limit":10,"since":{"offset":9007199254740993,"epoch":%q}}}`, id, hist, epoch)
		}, reply: wantReplyError(112, "9007199254740993 is ahead of the channel's newest, 3")},
		{name: "publish data nested 100,000 deep", frame: func(id uint32) string {
			return fmt.Sprintf(`{"id":%d,"publish":{"channel":"deep:x","data":%s}}`, id, deep)
		}, reply: wantReplyError(107, "nests more than")},
		{name: "unknown method", frame: f(`{"id":%d,"foo":{}}`), reply: func(t *testing.T, c *pclient, id uint32) {
			wantReplyError(107, fmt.Sprintf("command %d", id))(t, c, id)
		}},
		{name: "binary frame on a JSON connection", frame: f(`{"id":%d,"rpc":{"method":"time"}}`), binary: true, close: 1003},
		// 10,000 commands do not fit in one message (about 350 KB).
		{name: "10,000 commands in one frame", frame: batch(10000), close: 1009},
		// 1,000 do; the rate limit (burst 200) answers the rest with 111.
		{name: "1,000 commands in one frame", frame: batch(1000), reply: func(t *testing.T, c *pclient, id uint32) {
			ok := 0
			for i := uint32(0); i < 1000; i++ {
				rep := c.reply(id + i)
				switch {
				case rep.Error == nil && rep.Rpc != nil:
					ok++
				case rep.Error != nil && rep.Error.Code == 111 && rep.Error.Temporary:
				default:
					t.Fatalf("%scommand %d: %+v; want the result or 111", c.label, i, rep)
				}
			}
			if ok < 1 || ok > 200 {
				t.Fatalf("%s%d commands ran; want 1–200 (commands_burst)", c.label, ok)
			}
		}},
	}
	runJSONInputs(t, node, inputs, 100)
}
