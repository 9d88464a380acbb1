package testkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/centrifugal/protocol/cfjson"
	natsserver "github.com/nats-io/nats-server/v2/server"
)

// Stream transports.
const (
	SSE        = "sse"
	HTTPStream = "http_stream"
)

// Stream is a raw client of a fallback transport (SSE or HTTP-streaming):
// it opens the stream with a connect command, reads every reply on a
// goroutine, answers server pings, and sends later commands as emulation
// requests, as the `centrifuge` client does. Everything read is kept for
// the test to inspect.
type Stream struct {
	t       testing.TB
	Kind    string
	Proto   protocol.Type
	BaseURL string
	// EmulationURL is where commands go (BaseURL/emulation by default;
	// point it at another node to test routing).
	EmulationURL string
	Session      string // from the connect reply
	Node         string // from the connect reply
	Connect      *protocol.ConnectResult

	client *http.Client
	cancel context.CancelFunc
	nextID atomic.Uint32

	mu      sync.Mutex
	replies map[uint32]*protocol.Reply // mu
	pushes  []*protocol.Push           // mu
	pings   int                        // mu
	dups    []uint32                   // mu; ids answered twice
	ended   error                      // mu; why the stream ended (io.EOF: cleanly)
	changed chan struct{}              // mu; closed and replaced on every change
}

// StreamRequest builds the request that opens a stream whose first message
// is msg (encoded commands): GET with cf_connect for SSE, POST for
// HTTP-streaming.
func StreamRequest(baseURL, kind string, proto protocol.Type, msg []byte) *http.Request {
	var req *http.Request
	if kind == SSE {
		req, _ = http.NewRequest(http.MethodGet, baseURL+"/connection/sse?cf_connect="+url.QueryEscape(string(msg)), nil)
		req.Header.Set("Accept", "text/event-stream")
		return req
	}
	req, _ = http.NewRequest(http.MethodPost, baseURL+"/connection/http_stream", bytes.NewReader(msg))
	if proto == protocol.TypeProtobuf {
		req.Header.Set("Content-Type", "application/octet-stream")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// EncodeCommands frames commands as one transport message: JSON lines, or
// Protobuf commands prefixed with their varint length.
func EncodeCommands(proto protocol.Type, cmds ...*protocol.Command) []byte {
	var msg []byte
	for i, cmd := range cmds {
		if proto == protocol.TypeJSON {
			data, err := protocol.NewJSONCommandEncoder().Encode(cmd)
			if err != nil {
				panic(err)
			}
			if i > 0 {
				msg = append(msg, '\n')
			}
			msg = append(msg, data...)
			continue
		}
		data, err := cmd.MarshalCF()
		if err != nil {
			panic(err)
		}
		msg = binary.AppendUvarint(msg, uint64(len(data)))
		msg = append(msg, data...)
	}
	return msg
}

// DialStream opens a stream with a connect command carrying token (and
// extra commands after it in the same message) and waits for the connect
// reply; it fails the test when the server refuses. The stream is closed
// when the test ends.
func DialStream(t testing.TB, baseURL, kind string, proto protocol.Type, token string, extra ...*protocol.Command) *Stream {
	t.Helper()
	s := &Stream{t: t, Kind: kind, Proto: proto, BaseURL: baseURL, EmulationURL: baseURL + "/emulation",
		client: &http.Client{Timeout: 20 * time.Second}, replies: make(map[uint32]*protocol.Reply), changed: make(chan struct{})}
	connect := &protocol.Command{Id: s.id(), Connect: &protocol.ConnectRequest{Token: token}}
	for _, c := range extra {
		if c.Id == 0 {
			c.Id = s.id()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	req := StreamRequest(baseURL, kind, proto, EncodeCommands(proto, append([]*protocol.Command{connect}, extra...)...)).WithContext(ctx)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open %s stream: %v", kind, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("open %s stream: status %d: %s", kind, resp.StatusCode, body)
	}
	t.Cleanup(s.Close)
	go s.read(resp.Body)
	rep := s.Reply(connect.Id)
	if rep.Error != nil || rep.Connect == nil {
		t.Fatalf("connect over %s: %+v", kind, rep)
	}
	s.Connect, s.Session, s.Node = rep.Connect, rep.Connect.Session, rep.Connect.Node
	return s
}

func (s *Stream) id() uint32 { return s.nextID.Add(1) }

// Close ends the stream from the client side.
func (s *Stream) Close() { s.cancel() }

// read parses the response body until it ends.
func (s *Stream) read(body io.ReadCloser) {
	defer body.Close()
	var err error
	switch {
	case s.Kind == SSE:
		err = s.readSSE(body)
	case s.Proto == protocol.TypeJSON:
		sc := bufio.NewScanner(body)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if err = s.decodeJSON(sc.Bytes()); err != nil {
				break
			}
		}
		if err == nil {
			err = sc.Err()
		}
	default:
		br := bufio.NewReader(body)
		for {
			var n uint64
			if n, err = binary.ReadUvarint(br); err != nil {
				break
			}
			buf := make([]byte, n)
			if _, err = io.ReadFull(br, buf); err != nil {
				break
			}
			rep := &protocol.Reply{}
			if err = rep.UnmarshalCF(buf); err != nil {
				break
			}
			s.dispatch(rep)
		}
	}
	if err == nil {
		err = io.EOF
	}
	s.mu.Lock()
	s.ended = err
	s.notifyLocked()
	s.mu.Unlock()
}

// readSSE parses events: their data lines are JSON replies.
func (s *Stream) readSSE(body io.Reader) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case strings.HasPrefix(line, "data: "):
			if err := s.decodeJSON([]byte(line[len("data: "):])); err != nil {
				return err
			}
		case strings.HasPrefix(line, ":"):
		default:
			return fmt.Errorf("unexpected SSE line %q", line)
		}
	}
	return sc.Err()
}

func (s *Stream) decodeJSON(line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	rep := &protocol.Reply{}
	if err := cfjson.Unmarshal(line, rep, 0); err != nil {
		return fmt.Errorf("undecodable reply %.200q: %w", line, err)
	}
	s.dispatch(rep)
	return nil
}

func (s *Stream) dispatch(rep *protocol.Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case rep.Id != 0:
		if _, dup := s.replies[rep.Id]; dup {
			s.dups = append(s.dups, rep.Id)
		}
		s.replies[rep.Id] = rep
	case rep.Push != nil:
		s.pushes = append(s.pushes, rep.Push)
	default:
		s.pings++
		if s.Session != "" {
			go func() { _, _, _ = s.Send(&protocol.Command{}) }() // pong
		}
	}
	s.notifyLocked()
}

func (s *Stream) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Send posts commands as one emulation request, as they are (ids
// included), and returns the HTTP status and body.
func (s *Stream) Send(cmds ...*protocol.Command) (int, string, error) {
	return s.SendRaw(EmulationBody(s.Proto, s.Node, s.Session, EncodeCommands(s.Proto, cmds...)))
}

// EmulationBody encodes an EmulationRequest: JSON with data as a string,
// or Protobuf.
func EmulationBody(proto protocol.Type, node, session string, data []byte) []byte {
	if proto == protocol.TypeJSON {
		body, _ := json.Marshal(map[string]string{"node": node, "session": session, "data": string(data)})
		return body
	}
	body, err := (&protocol.EmulationRequest{Node: node, Session: session, Data: data}).MarshalCF()
	if err != nil {
		panic(err)
	}
	return body
}

// SendRaw posts body to the emulation endpoint.
func (s *Stream) SendRaw(body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, s.EmulationURL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if s.Proto == protocol.TypeProtobuf {
		req.Header.Set("Content-Type", "application/octet-stream")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), nil
}

// Call sends cmd (an id is assigned when it has none) and waits for its
// reply.
func (s *Stream) Call(cmd *protocol.Command) *protocol.Reply {
	s.t.Helper()
	if cmd.Id == 0 {
		cmd.Id = s.id()
	}
	if status, body, err := s.Send(cmd); err != nil || status != http.StatusNoContent {
		s.t.Fatalf("emulation request: status %d %q, %v", status, body, err)
	}
	return s.Reply(cmd.Id)
}

// NewID returns a fresh command id.
func (s *Stream) NewID() uint32 { return s.id() }

// Reply waits for the reply to command id.
func (s *Stream) Reply(id uint32) *protocol.Reply {
	s.t.Helper()
	var rep *protocol.Reply
	s.Until(10*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		rep = s.replies[id]
		return rep != nil
	}, fmt.Sprintf("reply %d", id))
	return rep
}

// Replied reports whether the reply to command id has arrived.
func (s *Stream) Replied(id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replies[id] != nil
}

// Until waits until cond holds (it is checked again whenever the stream
// reads something), failing the test after d or when the stream ends first.
func (s *Stream) Until(d time.Duration, cond func() bool, what string) {
	s.t.Helper()
	if err := s.WaitFor(d, cond); err != nil {
		s.t.Fatalf("%s stream: waiting for %s: %v", s.Kind, what, err)
	}
}

// WaitFor is Until returning an error instead of failing the test.
func (s *Stream) WaitFor(d time.Duration, cond func() bool) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ended, changed := s.ended, s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		if ended != nil {
			return fmt.Errorf("stream ended: %w", ended)
		}
		select {
		case <-changed:
		case <-timer.C:
			return errors.New("timed out")
		}
	}
}

// Pubs returns the publications pushed on channel, in arrival order.
func (s *Stream) Pubs(channel string) []*protocol.Publication {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pubsLocked(channel)
}

func (s *Stream) pubsLocked(channel string) []*protocol.Publication {
	var out []*protocol.Publication
	for _, p := range s.pushes {
		if p.Pub != nil && p.Channel == channel {
			out = append(out, p.Pub)
		}
	}
	return out
}

// WaitPubs waits until n publications of channel have arrived.
func (s *Stream) WaitPubs(channel string, n int, d time.Duration) []*protocol.Publication {
	s.t.Helper()
	s.Until(d, func() bool { return len(s.Pubs(channel)) >= n }, fmt.Sprintf("%d publications on %s", n, channel))
	return s.Pubs(channel)
}

// Pushes returns every push read so far.
func (s *Stream) Pushes() []*protocol.Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*protocol.Push(nil), s.pushes...)
}

// WaitEnd waits until the stream ends; it returns its disconnect push (nil
// when there was none) and why reading stopped (io.EOF: a clean end).
func (s *Stream) WaitEnd(d time.Duration) (*protocol.Disconnect, error) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		ended, changed := s.ended, s.changed
		var disc *protocol.Disconnect
		for _, p := range s.pushes {
			if p.Disconnect != nil {
				disc = p.Disconnect
			}
		}
		s.mu.Unlock()
		if ended != nil {
			return disc, ended
		}
		left := time.Until(deadline)
		if left <= 0 {
			s.t.Fatalf("%s stream did not end within %s", s.Kind, d)
		}
		select {
		case <-changed:
		case <-time.After(left):
		}
	}
}

// Pings is the number of server pings read.
func (s *Stream) Pings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pings
}

// Duplicates lists command ids that got more than one reply.
func (s *Stream) Duplicates() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.dups...)
}

// StartNATS runs a NATS server with JetStream on a loopback port, for
// tests that put several nodes on one engine (nats_url); it returns the
// client URL and stops the server when the test ends.
func StartNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, ServerName: "test-nats",
	})
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatal("nats server not ready within 10s")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns.ClientURL()
}
