package websocket

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
)

const wsPath = "/connection/websocket"

// waitFor polls cond until it holds or timeout passes (no sleeps as
// synchronisation: the deadline only bounds the wait).
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// testSession records what the transport delivers; with echo set it writes
// every message back.
type testSession struct {
	tr      hub.Transport
	echo    bool
	onMsg   func(s *testSession, data []byte)
	mu      sync.Mutex
	msgs    [][]byte
	closes  int
	cause   error
	closedC chan struct{}
}

func (s *testSession) HandleMessage(data []byte) {
	if s.onMsg != nil {
		s.onMsg(s, data)
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, append([]byte(nil), data...))
	s.mu.Unlock()
	if s.echo {
		_ = s.tr.Write(data)
	}
}

func (s *testSession) HandleClosed(cause error) {
	s.mu.Lock()
	s.closes++
	s.cause = cause
	first := s.closes == 1
	s.mu.Unlock()
	if first {
		close(s.closedC)
	}
}

func (s *testSession) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...)
}

func (s *testSession) closeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes
}

// testAcceptor hands out testSessions and keeps them in order.
type testAcceptor struct {
	echo   bool
	onMsg  func(s *testSession, data []byte)
	refuse error
	mu     sync.Mutex
	all    []*testSession
	infos  []hub.ConnInfo
}

func (a *testAcceptor) Accept(t hub.Transport, info hub.ConnInfo) (hub.Session, error) {
	if a.refuse != nil {
		return nil, a.refuse
	}
	s := &testSession{tr: t, echo: a.echo, onMsg: a.onMsg, closedC: make(chan struct{})}
	a.mu.Lock()
	a.all = append(a.all, s)
	a.infos = append(a.infos, info)
	a.mu.Unlock()
	return s, nil
}

func (a *testAcceptor) sessions() []*testSession {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*testSession(nil), a.all...)
}

// info returns the ConnInfo of the n-th accepted connection (0-based).
func (a *testAcceptor) info(n int) hub.ConnInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.infos[n]
}

// waitSession waits for the n-th accepted session (0-based).
func (a *testAcceptor) waitSession(t testing.TB, n int) *testSession {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("session %d", n), func() bool { return len(a.sessions()) > n })
	return a.sessions()[n]
}

// testServer is a Server behind a real net/http server on 127.0.0.1.
type testServer struct {
	*Server
	http *httptest.Server
	addr string // host:port
	url  string // ws:// URL of the endpoint
}

func startServer(t testing.TB, cfg Config, acc hub.Acceptor) *testServer {
	t.Helper()
	return startServerWith(t, cfg, acc, MaxHeaderBytes)
}

func startServerWith(t testing.TB, cfg Config, acc hub.Acceptor, maxHeaderBytes int) *testServer {
	t.Helper()
	s, err := NewServer(cfg, acc)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(wsPath, s)
	hs := httptest.NewUnstartedServer(mux)
	hs.Config.MaxHeaderBytes = maxHeaderBytes
	hs.Config.ReadHeaderTimeout = ReadHeaderTimeout
	hs.Start()
	ts := &testServer{Server: s, http: hs, addr: hs.Listener.Addr().String()}
	ts.url = "ws://" + ts.addr + wsPath
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return ts
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest is a valid upgrade request with extra header lines.
func upgradeRequest(addr string, extra ...string) string {
	var b strings.Builder
	b.WriteString("GET " + wsPath + " HTTP/1.1\r\nHost: " + addr + "\r\n")
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// rawConn is a raw TCP client.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}
}

// roundTrip sends a raw request and returns the response status and headers.
func (c *rawConn) roundTrip(req string) (*http.Response, error) {
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	defer func() { _ = c.nc.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c.nc, req); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	return resp, nil
}

// dialUpgraded opens a raw connection and completes a valid upgrade.
func dialUpgraded(t testing.TB, addr string, extra ...string) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	resp, err := c.roundTrip(upgradeRequest(addr, extra...))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade status %d, want 101", resp.StatusCode)
	}
	return c
}

func (c *rawConn) write(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one server frame (unmasked, FIN set, no extensions).
func (c *rawConn) readFrame(deadline time.Time) (op byte, payload []byte, err error) {
	_ = c.nc.SetReadDeadline(deadline)
	var h [10]byte
	if _, err := io.ReadFull(c.br, h[:2]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x70 != 0 || h[0]&bitFIN == 0 || h[1]&bitMask != 0 {
		return 0, nil, fmt.Errorf("bad server frame header % x", h[:2])
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		if _, err := io.ReadFull(c.br, h[2:4]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		if _, err := io.ReadFull(c.br, h[2:10]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(h[2:10])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		return 0, nil, err
	}
	return h[0] & maskOp, payload, nil
}

// expectClose reads frames until a close frame, within 1 s, and returns its
// code (1005 when empty). It fails the test on EOF without a close frame.
func (c *rawConn) expectClose() uint16 {
	c.t.Helper()
	return c.expectCloseWithin(time.Second)
}

// expectCloseWithin is expectClose with another bound.
func (c *rawConn) expectCloseWithin(within time.Duration) uint16 {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		op, p, err := c.readFrame(deadline)
		if err != nil {
			c.t.Fatalf("no close frame within %v: %v", within, err)
		}
		if op != opClose {
			continue
		}
		if len(p) < 2 {
			return closeNoStatus
		}
		return binary.BigEndian.Uint16(p)
	}
}

// expectEOF waits until the server closes the TCP connection.
func (c *rawConn) expectEOF(within time.Duration) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("connection still open after %v", within)
	}
}

var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientFrame builds a masked client frame with a minimal length encoding;
// b0 holds FIN, RSV and opcode.
func clientFrame(b0 byte, payload []byte) []byte {
	out := []byte{b0}
	n := len(payload)
	switch {
	case n <= 125:
		out = append(out, bitMask|byte(n))
	case n <= 0xFFFF:
		out = append(out, bitMask|126, byte(n>>8), byte(n))
	default:
		out = append(out, bitMask|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	out = append(out, testMask[:]...)
	start := len(out)
	out = append(out, payload...)
	maskBytes(testMask, 0, out[start:])
	return out
}

// closePayload is a close frame payload.
func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}
