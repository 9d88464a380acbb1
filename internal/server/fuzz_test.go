package server_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// memTransport is an in-memory transport: what the hub writes is kept for
// the test to decode.
type memTransport struct {
	proto protocol.Type
	mu    sync.Mutex
	out   [][]byte
	close *wire.Disconnect
	sess  hub.Session
}

func (m *memTransport) Name() string            { return "memory" }
func (m *memTransport) Protocol() protocol.Type { return m.proto }
func (m *memTransport) Buffered() int           { return 0 }
func (m *memTransport) Backlog() (int, uint64)  { return 0, 0 }
func (m *memTransport) Write(p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.close != nil {
		return net.ErrClosed
	}
	m.out = append(m.out, append([]byte(nil), p...))
	return nil
}
func (m *memTransport) Close(d wire.Disconnect) {
	m.mu.Lock()
	first := m.close == nil
	if first {
		m.close = &d
	}
	m.mu.Unlock()
	if first && m.sess != nil {
		go m.sess.HandleClosed(nil)
	}
}

// replies decodes everything written so far; every frame must decode.
func (m *memTransport) replies() ([]*protocol.Reply, *wire.Disconnect, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*protocol.Reply
	for _, frame := range m.out {
		var dec protocol.ReplyDecoder = protocol.NewJSONReplyDecoder(frame)
		if m.proto == protocol.TypeProtobuf {
			dec = protocol.NewProtobufReplyDecoder(frame)
		}
		for {
			r, err := dec.Decode()
			if r != nil {
				out = append(out, r)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					return nil, nil, fmt.Errorf("undecodable frame %q: %w", frame, err)
				}
				break
			}
		}
	}
	return out, m.close, nil
}

// FuzzClientCommands feeds arbitrary bytes, as one transport message after
// a successful connect, to a real hub on a real engine. Whatever comes in,
// the hub must not panic, everything it writes must decode, and it must
// either keep serving (answer a later command) or close with a protocol
// disconnect code.
func FuzzClientCommands(f *testing.F) {
	seeds := []string{
		`{"id":2,"subscribe":{"channel":"room:f"}}`,
		`{"id":2,"publish":{"channel":"room:f","data":{"a":1}}}`,
		`{"id":2,"history":{"channel":"room:f","limit":-1,"reverse":true}}`,
		`{"id":"2"}`, `[1,2]`, `{"id":2,"history":{"channel":"room:f","since":{"offset":"abc"}}}`,
		`{"id":2,"subscribe":{"channel":{"x":1}}}`, `{"id":2,"foo":{}}`, `not json`,
		`{"id":2,"presence":{"channel":"room:f"}}` + "\n" + `{"id":3,"presence_stats":{"channel":"room:f"}}`,
		`{"id":2,"rpc":{"method":"time"}}`, `{}`, `{"id":2,"refresh":{"token":"x"}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte{0x12, 0x0a, 0x07, 'r', 'o', 'o', 'm', ':', 'f', 'x'}, true)
	node := testkit.Start(f, nil)
	h := node.Server.Hub()
	token := node.Token("fuzzer")
	f.Fuzz(func(t *testing.T, data []byte, useProtobuf bool) {
		proto := protocol.TypeJSON
		if useProtobuf {
			proto = protocol.TypeProtobuf
		}
		tr := &memTransport{proto: proto}
		sess, err := h.Accept(tr, hub.ConnInfo{Transport: "memory", Protocol: proto, RemoteAddr: netip.MustParseAddrPort("127.0.0.1:1")})
		if err != nil {
			t.Fatal(err)
		}
		tr.sess = sess
		raw := testkit.RawEncoder(proto)
		sess.HandleMessage(raw(&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: token}}))
		sess.HandleMessage(data)
		sess.HandleMessage(raw(&protocol.Command{Id: 1000, Rpc: &protocol.RPCRequest{Method: "time"}}))
		deadline := time.Now().Add(10 * time.Second)
		for {
			reps, closed, err := tr.replies()
			if err != nil {
				t.Fatal(err)
			}
			if closed != nil {
				if closed.Code < 3000 || closed.Code > 4999 {
					t.Fatalf("closed with %d; want a protocol disconnect code", closed.Code)
				}
				break
			}
			if hasReply(reps, 1000) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer to a later command and no close after %q", data)
			}
			time.Sleep(time.Millisecond) // polling the in-memory transport
		}
		sess.HandleClosed(nil)
	})
}

func hasReply(reps []*protocol.Reply, id uint32) bool {
	for _, r := range reps {
		if r.Id == id {
			return true
		}
	}
	return false
}
