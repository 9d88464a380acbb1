package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// streamKinds are the fallback transports and the encodings each speaks.
var streamKinds = []struct {
	kind  string
	proto protocol.Type
}{
	{testkit.SSE, protocol.TypeJSON},
	{testkit.HTTPStream, protocol.TypeJSON},
	{testkit.HTTPStream, protocol.TypeProtobuf},
}

func streamName(kind string, proto protocol.Type) string { return kind + "/" + string(proto) }

// Each fallback transport, driven as the `centrifuge` client drives it:
// connect in the stream request (with a subscribe pipelined behind it),
// later commands as emulation requests; the client publishes and receives
// its own and the API's publications, in offset order, with recovery
// positions.
func TestStreamConnectSubscribePublish(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, k := range streamKinds {
		t.Run(streamName(k.kind, k.proto), func(t *testing.T) {
			ch := "room:" + strings.ReplaceAll(streamName(k.kind, k.proto), "/", "-")
			sub := &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}
			s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("alice"), sub)
			if s.Session == "" || s.Node != "test" {
				t.Fatalf("connect reply: session %q node %q; want a session and node \"test\"", s.Session, s.Node)
			}
			if rep := s.Reply(sub.Id); rep.Error != nil || rep.Subscribe == nil || !rep.Subscribe.Recoverable {
				t.Fatalf("pipelined subscribe: %+v", rep)
			}
			pub := s.Call(&protocol.Command{Publish: &protocol.PublishRequest{Channel: ch, Data: []byte(`{"n":1}`)}})
			if pub.Error != nil || pub.Publish == nil {
				t.Fatalf("publish: %+v", pub)
			}
			node.Publish(ch, map[string]int{"n": 2})
			pubs := s.WaitPubs(ch, 2, 10*time.Second)
			for i, p := range pubs {
				var d struct{ N int }
				if err := json.Unmarshal(p.Data, &d); err != nil || d.N != i+1 || p.Offset != uint64(i+1) {
					t.Fatalf("publication %d: offset %d data %s; want offset %d n %d", i, p.Offset, p.Data, i+1, i+1)
				}
			}
			if rep := s.Call(&protocol.Command{History: &protocol.HistoryRequest{Channel: ch, Limit: 10}}); rep.Error != nil || len(rep.History.Publications) != 2 {
				t.Fatalf("history: %+v", rep)
			}
			if d := s.Duplicates(); len(d) != 0 {
				t.Fatalf("commands answered twice: %v", d)
			}
		})
	}
}

// Server pings reach stream clients and their pongs come back through the
// emulation endpoint: a connection that answers stays up past several
// pong timeouts.
func TestStreamPingPong(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(200 * time.Millisecond)
		c.Client.PongTimeout = config.Duration(150 * time.Millisecond)
	})
	for _, k := range streamKinds {
		t.Run(streamName(k.kind, k.proto), func(t *testing.T) {
			s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("pinger"))
			s.Until(10*time.Second, func() bool { return s.Pings() >= 5 }, "5 server pings")
			if rep := s.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}); rep.Error != nil {
				t.Fatalf("rpc after pings: %+v", rep)
			}
		})
	}
}

// A disconnect reaches a stream client as the protocol's disconnect push,
// then the stream ends.
func TestStreamDisconnectPush(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, k := range streamKinds {
		t.Run(streamName(k.kind, k.proto), func(t *testing.T) {
			user := "gone-" + strings.ReplaceAll(streamName(k.kind, k.proto), "/", "-")
			s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token(user))
			if status := node.API("disconnect", map[string]any{"user": user, "code": 4321, "reason": "moved to another room"}, nil); status != http.StatusOK {
				t.Fatalf("API disconnect: status %d", status)
			}
			d, err := s.WaitEnd(10 * time.Second)
			if d == nil || d.Code != 4321 || d.Reason != "moved to another room" {
				t.Fatalf("disconnect push %+v (stream ended: %v); want 4321 \"moved to another room\"", d, err)
			}
			if err != io.EOF {
				t.Fatalf("stream ended with %v; want a clean end after the push", err)
			}
		})
	}
}

// Commands for a session no node holds get 404 with a reason; malformed
// emulation requests get 4xx with what is wrong; nothing of this touches
// a live stream.
func TestEmulationRefusals(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Client.MaxMessageBytes, c.Auth.MaxTokenBytes = 4*config.KiB, 2*config.KiB })
	live := testkit.DialStream(t, node.BaseURL, testkit.HTTPStream, protocol.TypeJSON, node.Token("live"))
	ping := testkit.EncodeCommands(protocol.TypeJSON, &protocol.Command{Id: 1, Ping: &protocol.PingRequest{}})
	post := func(ctype string, body []byte) (int, string) {
		t.Helper()
		resp, err := http.Post(node.BaseURL+"/emulation", ctype, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	for _, tc := range []struct {
		name   string
		ctype  string
		body   []byte
		status int
		says   string
	}{
		{"unknown session", "application/json", testkit.EmulationBody(protocol.TypeJSON, "test", "no-such-session", ping), 404, "session not found"},
		{"unknown session, no node", "application/json", testkit.EmulationBody(protocol.TypeJSON, "", "no-such-session", ping), 404, "session not found"},
		{"unknown session, protobuf", "application/octet-stream", testkit.EmulationBody(protocol.TypeProtobuf, "test", "nope", ping), 404, "session not found"},
		{"not JSON", "application/json", []byte("session=x"), 400, "not a valid JSON EmulationRequest"},
		{"array", "application/json", []byte(`[1,2]`), 400, "not a valid JSON EmulationRequest"},
		{"data not a string", "application/json", []byte(`{"session":"x","data":{"id":1}}`), 400, "data must be a JSON string"},
		{"no session", "application/json", []byte(`{"data":"{}"}`), 400, "without session"},
		{"no data", "application/json", []byte(`{"session":"x"}`), 400, "without data"},
		{"bad protobuf", "application/octet-stream", []byte{0x12, 0xff}, 400, "not a valid Protobuf EmulationRequest"},
		{"too large", "application/json", testkit.EmulationBody(protocol.TypeJSON, "test", "x", bytes.Repeat([]byte("a"), 5000)), 413, "larger than the limit"},
		{"body far too large", "application/json", bytes.Repeat([]byte(" "), 64<<10), 413, "larger than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(tc.ctype, tc.body)
			if status != tc.status || !strings.Contains(body, tc.says) {
				t.Fatalf("status %d body %q; want %d saying %q", status, body, tc.status, tc.says)
			}
		})
	}
	resp, err := http.Get(node.BaseURL + "/emulation")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Fatalf("GET /emulation: %d Allow %q; want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if rep := live.Call(&protocol.Command{Ping: &protocol.PingRequest{}}); rep.Error != nil {
		t.Fatalf("live stream after the refusals: %+v", rep)
	}
}

// Opening a stream with bad input is refused before any stream byte, with
// a status and a reason that says what is wrong.
func TestStreamOpenRefusals(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Client.MaxMessageBytes, c.Auth.MaxTokenBytes = 4*config.KiB, 2*config.KiB })
	connect := func(proto protocol.Type) []byte {
		return testkit.EncodeCommands(proto, &protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: node.Token("x")}})
	}
	do := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	get := func(query string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, node.BaseURL+"/connection/sse"+query, nil)
		return req
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		says   string
	}{
		{"sse without cf_connect", get(""), 400, "missing cf_connect"},
		{"sse cf_connect twice", get("?cf_connect=a&cf_connect=b"), 400, "given 2 times"},
		{"sse bad escape", get("?cf_connect=%zz"), 400, "malformed query string"},
		{"sse not JSON", get("?cf_connect=hello"), 400, "not a valid JSON command"},
		{"sse array", get("?cf_connect=%5B1%5D"), 400, "not a valid JSON command"},
		{"sse id as string", get(`?cf_connect=` + urlq(`{"id":"1","connect":{}}`)), 400, "not a valid JSON command"},
		{"sse not connect", get(`?cf_connect=` + urlq(`{"id":1,"subscribe":{"channel":"room:a"}}`)), 400, "first command must be connect"},
		{"sse connect without id", get(`?cf_connect=` + urlq(`{"connect":{}}`)), 400, "non-zero id"},
		{"sse too long", get("?cf_connect=" + strings.Repeat("a", 5000)), 414, "larger than the limit"},
		{"stream GET", mustReq(http.MethodGet, node.BaseURL+"/connection/http_stream", nil), 405, "use POST"},
		{"stream empty", streamReq(node.BaseURL, "application/json", nil), 400, "no command"},
		{"stream protobuf truncated", streamReq(node.BaseURL, "application/octet-stream", []byte{0x20, 0x08}), 400, "length prefix says 32 bytes but 1 follow"},
		{"stream protobuf bad varint", streamReq(node.BaseURL, "application/octet-stream", bytes.Repeat([]byte{0xff}, 11)), 400, "not a valid varint"},
		{"stream protobuf not a command", streamReq(node.BaseURL, "application/octet-stream", []byte{0x02, 0xff, 0xff}), 400, "not a valid Protobuf command"},
		{"stream JSON sent as protobuf", streamReq(node.BaseURL, "application/octet-stream", connect(protocol.TypeJSON)), 400, ""},
		{"stream too large", streamReq(node.BaseURL, "application/json", bytes.Repeat([]byte(" "), 5000)), 413, "larger than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(tc.req)
			if status != tc.status || !strings.Contains(body, tc.says) {
				t.Fatalf("status %d body %q; want %d saying %q", status, body, tc.status, tc.says)
			}
		})
	}
	status, _ := do(mustReq(http.MethodPost, node.BaseURL+"/connection/sse?cf_connect=x", nil))
	if status != http.StatusMethodNotAllowed {
		t.Fatalf("POST /connection/sse: %d; want 405", status)
	}
}

func urlq(s string) string {
	return strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", ":", "%3A", ",", "%2C").Replace(s)
}

func mustReq(method, url string, body []byte) *http.Request {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	return req
}

func streamReq(base, ctype string, body []byte) *http.Request {
	req := mustReq(http.MethodPost, base+"/connection/http_stream", body)
	req.Header.Set("Content-Type", ctype)
	return req
}

// The transports can be turned off; what is off says so.
func TestStreamTransportsOff(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) { c.Client.SSE, c.Client.HTTPStream = false, true })
	resp, err := http.Get(node.BaseURL + "/connection/sse?cf_connect=x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "client.sse = false") {
		t.Fatalf("SSE off: %d %q; want 404 naming client.sse", resp.StatusCode, body)
	}
	s := testkit.DialStream(t, node.BaseURL, testkit.HTTPStream, protocol.TypeJSON, node.Token("on"))
	if rep := s.Call(&protocol.Command{Ping: &protocol.PingRequest{}}); rep.Error != nil {
		t.Fatalf("HTTP-streaming still on: %+v", rep)
	}

	both := testkit.Start(t, func(c *config.Config) { c.Client.SSE, c.Client.HTTPStream = false, false })
	for _, path := range []string{"/connection/http_stream", "/emulation"} {
		resp, err := http.Post(both.BaseURL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "is off on this node") {
			t.Fatalf("%s with both off: %d %q; want 404 saying it is off", path, resp.StatusCode, body)
		}
	}
}
