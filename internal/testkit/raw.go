package testkit

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"
)

// Raw is a bare protocol client for tests that need to see every frame:
// it encodes commands itself (JSON or Protobuf) and decodes every reply.
type Raw struct {
	t      testing.TB
	WS     *websocket.Conn
	proto  protocol.Type
	nextID uint32
	queue  []*protocol.Reply // read but not yet consumed
}

// DialRaw opens a WebSocket to url speaking proto.
func DialRaw(t testing.TB, url string, proto protocol.Type) *Raw {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if proto == protocol.TypeProtobuf {
		d.Subprotocols = []string{"centrifuge-protobuf"}
	}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &Raw{t: t, WS: ws, proto: proto}
}

// Encode encodes commands as one frame, assigning ids to those without.
func (r *Raw) Encode(cmds ...*protocol.Command) []byte {
	var frame []byte
	for i, cmd := range cmds {
		if cmd.Id == 0 && !isEmpty(cmd) {
			r.nextID++
			cmd.Id = r.nextID
		}
		var data []byte
		var err error
		if r.proto == protocol.TypeJSON {
			data, err = protocol.NewJSONCommandEncoder().Encode(cmd)
			if i > 0 {
				frame = append(frame, '\n')
			}
		} else {
			// The Protobuf command encoder adds the varint length itself.
			data, err = protocol.NewProtobufCommandEncoder().Encode(cmd)
		}
		if err != nil {
			r.t.Fatalf("encode: %v", err)
		}
		frame = append(frame, data...)
	}
	return frame
}

func isEmpty(c *protocol.Command) bool {
	return c.Connect == nil && c.Subscribe == nil && c.Unsubscribe == nil && c.Publish == nil &&
		c.Presence == nil && c.PresenceStats == nil && c.History == nil && c.Send == nil &&
		c.Rpc == nil && c.Refresh == nil && c.SubRefresh == nil && c.Ping == nil
}

// Send writes commands in one frame.
func (r *Raw) Send(cmds ...*protocol.Command) {
	r.t.Helper()
	r.SendBytes(r.Encode(cmds...))
}

// SendBytes writes a frame as is (text for JSON, binary for Protobuf).
func (r *Raw) SendBytes(frame []byte) {
	r.t.Helper()
	mt := websocket.TextMessage
	if r.proto == protocol.TypeProtobuf {
		mt = websocket.BinaryMessage
	}
	if err := r.WS.WriteMessage(mt, frame); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one frame and queues its replies.
func (r *Raw) readFrame(timeout time.Duration) error {
	_ = r.WS.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := r.WS.ReadMessage()
	if err != nil {
		return err
	}
	var dec protocol.ReplyDecoder
	if r.proto == protocol.TypeJSON {
		dec = protocol.NewJSONReplyDecoder(data)
	} else {
		dec = protocol.NewProtobufReplyDecoder(data)
	}
	for {
		rep, err := dec.Decode()
		if rep != nil {
			r.queue = append(r.queue, rep)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("decode reply: %w (frame %q)", err, data)
		}
	}
}

// Reply waits for the reply to command id (pushes and pings stay queued).
func (r *Raw) Reply(id uint32) *protocol.Reply {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i, rep := range r.queue {
			if rep.Id == id {
				r.queue = append(r.queue[:i], r.queue[i+1:]...)
				return rep
			}
		}
		if err := r.readFrame(time.Until(deadline)); err != nil {
			r.t.Fatalf("waiting for reply %d: %v", id, err)
		}
	}
}

// Call sends one command and waits for its reply.
func (r *Raw) Call(cmd *protocol.Command) *protocol.Reply {
	r.t.Helper()
	r.Send(cmd)
	return r.Reply(cmd.Id)
}

// Push waits for the next push that matches keep.
func (r *Raw) Push(keep func(*protocol.Push) bool) *protocol.Push {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i, rep := range r.queue {
			if rep.Push != nil && keep(rep.Push) {
				r.queue = append(r.queue[:i], r.queue[i+1:]...)
				return rep.Push
			}
		}
		if err := r.readFrame(time.Until(deadline)); err != nil {
			r.t.Fatalf("waiting for a push: %v", err)
		}
	}
}

// Closed reads until the server closes the connection and returns the
// close code and reason; it fails the test if that takes longer than d.
func (r *Raw) Closed(d time.Duration) (int, string) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := r.readFrame(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		r.t.Fatalf("connection not closed with a close frame: %v", err)
	}
}

// Connect sends connect with token and fails the test unless it succeeds.
func (r *Raw) Connect(token string) *protocol.ConnectResult {
	r.t.Helper()
	rep := r.Call(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}})
	if rep.Error != nil || rep.Connect == nil {
		r.t.Fatalf("connect: %+v", rep.Error)
	}
	return rep.Connect
}

// RawEncoder returns a function that encodes one command as a frame in
// proto, for tests that feed a session directly.
func RawEncoder(proto protocol.Type) func(*protocol.Command) []byte {
	return func(cmd *protocol.Command) []byte {
		var data []byte
		if proto == protocol.TypeJSON {
			data, _ = protocol.NewJSONCommandEncoder().Encode(cmd)
		} else {
			data, _ = protocol.NewProtobufCommandEncoder().Encode(cmd)
		}
		return data
	}
}
