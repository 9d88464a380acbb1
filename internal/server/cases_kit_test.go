package server_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Helpers shared by the cases_*_test.go files (cases from public bug
// reports, run against the whole server).

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

// tcpWS is a WebSocket spoken byte by byte over TCP, for frames no library
// would send.
type tcpWS struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

// upgradeTCP opens a TCP connection and completes a valid upgrade.
func upgradeTCP(t testing.TB, node *testkit.Node) *tcpWS {
	t.Helper()
	addr := strings.TrimPrefix(node.BaseURL, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	req := "GET /connection/websocket HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	w := &tcpWS{t: t, c: c, br: bufio.NewReader(c)}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return w
}

// frameHeader builds a client frame header with a given length encoding
// (lenCode 126 or 127 with ext bytes, or the length itself) and mask key.
func frameHeader(first byte, lenCode byte, ext []byte, key [4]byte) []byte {
	h := []byte{first, 0x80 | lenCode}
	h = append(h, ext...)
	return append(h, key[:]...)
}

// cframe builds a masked client frame with the minimal length encoding.
func cframe(first byte, payload []byte) []byte {
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	var h []byte
	switch n := len(payload); {
	case n < 126:
		h = frameHeader(first, byte(n), nil, key)
	case n <= 0xFFFF:
		h = frameHeader(first, 126, binary.BigEndian.AppendUint16(nil, uint16(n)), key)
	default:
		h = frameHeader(first, 127, binary.BigEndian.AppendUint64(nil, uint64(n)), key)
	}
	out := append(h, payload...)
	for i := range payload {
		out[len(h)+i] ^= key[i%4]
	}
	return out
}

const (
	opCont, opText, opBinary, opClose, opPing, opPong = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
	finBit                                            = 0x80
)

func (w *tcpWS) write(b []byte) {
	w.t.Helper()
	_ = w.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := w.c.Write(b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one server frame (unmasked).
func (w *tcpWS) readFrame(deadline time.Time) (op byte, payload []byte, err error) {
	_ = w.c.SetReadDeadline(deadline)
	var h [2]byte
	if _, err = io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var e [2]byte
		if _, err = io.ReadFull(w.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err = io.ReadFull(w.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	if n > 16<<20 {
		return 0, nil, fmt.Errorf("server frame of %d bytes", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(w.br, payload)
	return h[0] & 0x0F, payload, err
}

// closeCode reads frames until the server's close frame and returns its
// code; a connection that ends without one fails the test.
func (w *tcpWS) closeCode(d time.Duration) int {
	w.t.Helper()
	deadline := time.Now().Add(d)
	for {
		op, p, err := w.readFrame(deadline)
		if err != nil {
			w.t.Fatalf("no close frame within %s: %v", d, err)
		}
		if op == opClose {
			if len(p) < 2 {
				return 1005
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}

// apiPoster calls the server API from any goroutine, reusing connections.
type apiPoster struct {
	node   *testkit.Node
	client *http.Client
}

func newAPIPoster(t testing.TB, node *testkit.Node) *apiPoster {
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiPoster{node: node, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// publish publishes JSON data and returns the offset.
func (a *apiPoster) publish(channel string, data []byte) (uint64, error) {
	body, _ := json.Marshal(map[string]any{"channel": channel, "data": json.RawMessage(data)})
	req, _ := http.NewRequest(http.MethodPost, a.node.BaseURL+"/api/publish", bytes.NewReader(body))
	req.Header.Set("X-API-Key", a.node.APIKey)
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Offset uint64 `json:"offset"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("publish to %s: %d %s", channel, resp.StatusCode, raw)
	}
	err = json.Unmarshal(raw, &out)
	return out.Offset, err
}

// presenceUsers lists a channel's presence through the API: client id → user.
func presenceUsers(t testing.TB, node *testkit.Node, channel string) map[string]string {
	t.Helper()
	var out struct {
		Presence map[string]struct {
			User string `json:"user"`
		} `json:"presence"`
	}
	if status := node.API("presence", map[string]string{"channel": channel}, &out); status != http.StatusOK {
		t.Fatalf("presence %s: status %d", channel, status)
	}
	m := make(map[string]string, len(out.Presence))
	for id, ci := range out.Presence {
		m[id] = ci.User
	}
	return m
}

// witness is a healthy client W that must keep receiving publications
// made through the API while a test attacks the server.
type witness struct {
	t    *testing.T
	node *testkit.Node
	ch   string
	rec  *recorder
	sent int
}

func newWitness(t *testing.T, node *testkit.Node, ch string) *witness {
	t.Helper()
	c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("witness")})
	_, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
	return &witness{t: t, node: node, ch: ch, rec: rec}
}

// check publishes one message through the API and waits until W has it.
func (w *witness) check(step string) {
	w.t.Helper()
	w.sent++
	w.node.Publish(w.ch, map[string]any{"step": step, "n": w.sent})
	want := w.sent
	testkit.Eventually(w.t, 10*time.Second, func() bool { return w.rec.count() >= want }, "witness got publication %d (after %s)", want, step)
	if got := w.rec.count(); got != want {
		w.t.Fatalf("witness has %d publications after %s; want %d", got, step, want)
	}
}

// goroutinesBackTo polls until the goroutine count is at most baseline +
// margin.
func goroutinesBackTo(t *testing.T, baseline, margin int, d time.Duration) {
	t.Helper()
	testkit.Eventually(t, d, func() bool { return runtime.NumGoroutine() <= baseline+margin },
		"goroutines back to baseline %d (+%d); now %d", baseline, margin, runtime.NumGoroutine())
}
