package server_test

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"
)

// Helpers shared by the cases_*_test.go files (cases from public bug
// reports, run against the whole server).

// testTimeout bounds waits for things that normally take milliseconds.
const testTimeout = 10 * time.Second

// pclient is a JSON protocol client that keeps every reply and push it
// reads, so a test can count deliveries exactly. Only the test goroutine
// reads; send may be called from any goroutine.
type pclient struct {
	t       testing.TB
	ws      *websocket.Conn
	wmu     sync.Mutex
	nextID  atomic.Uint32
	replies map[uint32]*protocol.Reply
	pushes  []*protocol.Push
	pings   int
	label   string // prefixes failure messages
}

func dialP(t testing.TB, url string) *pclient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return newP(t, ws)
}

// newP wraps an open WebSocket; it is closed when the test ends.
func newP(t testing.TB, ws *websocket.Conn) *pclient {
	t.Cleanup(func() { _ = ws.Close() })
	c := &pclient{t: t, ws: ws, replies: make(map[uint32]*protocol.Reply)}
	c.nextID.Store(1000)
	return c
}

// id returns a fresh command id.
func (c *pclient) id() uint32 { return c.nextID.Add(1) }

// encode joins commands as one JSON frame; commands without an id get one.
func (c *pclient) encode(cmds ...*protocol.Command) []byte {
	var frame []byte
	for i, cmd := range cmds {
		if cmd.Id == 0 {
			cmd.Id = c.id()
		}
		data, err := protocol.NewJSONCommandEncoder().Encode(cmd)
		if err != nil {
			panic(err)
		}
		if i > 0 {
			frame = append(frame, '\n')
		}
		frame = append(frame, data...)
	}
	return frame
}

// send writes commands as one frame; safe from any goroutine.
func (c *pclient) send(cmds ...*protocol.Command) error {
	return c.write(websocket.TextMessage, c.encode(cmds...))
}

func (c *pclient) write(mt int, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(mt, data)
}

// read reads one frame and records what it holds. Server pings are
// answered.
func (c *pclient) read(deadline time.Time) error {
	_ = c.ws.SetReadDeadline(deadline)
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return err
	}
	dec := protocol.NewJSONReplyDecoder(data)
	for {
		rep, derr := dec.Decode()
		if rep != nil {
			switch {
			case rep.Id != 0:
				if _, dup := c.replies[rep.Id]; dup {
					c.t.Errorf("second reply for command %d: %+v", rep.Id, rep)
				}
				c.replies[rep.Id] = rep
			case rep.Push != nil:
				c.pushes = append(c.pushes, rep.Push)
			default:
				c.pings++
				_ = c.write(websocket.TextMessage, []byte("{}"))
			}
		}
		if errors.Is(derr, io.EOF) {
			return nil
		}
		if derr != nil {
			return fmt.Errorf("undecodable frame %.200q: %w", data, derr)
		}
	}
}

// until reads until cond holds, failing the test after d.
func (c *pclient) until(d time.Duration, cond func() bool, what string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if err := c.read(deadline); err != nil {
			c.t.Fatalf("%swaiting for %s: %v", c.label, what, err)
		}
	}
}

// reply waits for the reply to command id.
func (c *pclient) reply(id uint32) *protocol.Reply {
	c.t.Helper()
	c.until(10*time.Second, func() bool { return c.replies[id] != nil }, fmt.Sprintf("reply %d", id))
	return c.replies[id]
}

// call sends one command and waits for its reply.
func (c *pclient) call(cmd *protocol.Command) *protocol.Reply {
	c.t.Helper()
	if err := c.send(cmd); err != nil {
		c.t.Fatalf("send: %v", err)
	}
	return c.reply(cmd.Id)
}

func (c *pclient) connect(token string) *protocol.ConnectResult {
	c.t.Helper()
	rep := c.call(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}})
	if rep.Error != nil || rep.Connect == nil {
		c.t.Fatalf("connect: %+v", rep)
	}
	return rep.Connect
}

// sync round-trips a command: every push queued for the connection before
// it has been read when sync returns.
func (c *pclient) sync() {
	c.t.Helper()
	if rep := c.call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}); rep.Error != nil {
		c.t.Fatalf("sync rpc: %+v", rep.Error)
	}
}

// pubs returns the publications pushed on channel, in arrival order.
func (c *pclient) pubs(channel string) []*protocol.Publication {
	var out []*protocol.Publication
	for _, p := range c.pushes {
		if p.Pub != nil && p.Channel == channel {
			out = append(out, p.Pub)
		}
	}
	return out
}

// closed reads until a close frame and returns its code; a connection that
// ends without one fails the test.
func (c *pclient) closed(d time.Duration) (int, string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := c.read(deadline)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		c.t.Fatalf("%sno close frame within %s: %v", c.label, d, err)
	}
}

func subCmd(ch string) *protocol.Command {
	return &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}
}
