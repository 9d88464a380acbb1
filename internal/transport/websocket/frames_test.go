package websocket

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
)

// healthyClient is a parallel connection that must keep working while other
// connections misbehave.
type healthyClient struct {
	t  *testing.T
	ws *gorilla.Conn
	n  int
}

func newHealthyClient(t *testing.T, url string) *healthyClient {
	ws, _, err := gorilla.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("healthy client dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	h := &healthyClient{t: t, ws: ws}
	// The dial returns at the 101, before the server has necessarily
	// registered the session; an echo round trip proves it has, so the
	// sessions of connections dialled later come after it (tests find
	// theirs by index).
	h.check()
	return h
}

func (h *healthyClient) check() {
	h.t.Helper()
	h.n++
	msg := fmt.Sprintf("healthy %d", h.n)
	_ = h.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := h.ws.WriteMessage(gorilla.TextMessage, []byte(msg)); err != nil {
		h.t.Fatalf("healthy client write: %v", err)
	}
	_ = h.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, p, err := h.ws.ReadMessage(); err != nil || string(p) != msg {
		h.t.Fatalf("healthy client read %q %v, want %q", p, err, msg)
	}
}

// C06 frame layer: every malformed input, each on a fresh connection, gets
// its close code within 1 s; a healthy connection keeps working; after 100
// iterations the goroutine count is back to its baseline.
func TestMalformedFramesCloseCodes(t *testing.T) {
	acc := &testAcceptor{echo: true}
	ts := startServer(t, Config{}, acc)
	healthy := newHealthyClient(t, ts.url)
	healthy.check()
	baseline := runtime.NumGoroutine()

	inputs := []struct {
		name string
		in   []byte
		code uint16
	}{
		{"RSV1 without deflate", clientFrame(bitFIN|0x40|opText, []byte("x")), closeProtocolError},
		{"RSV2", clientFrame(bitFIN|0x20|opText, []byte("x")), closeProtocolError},
		{"RSV3", clientFrame(bitFIN|0x10|opText, []byte("x")), closeProtocolError},
		{"opcode 0x3", clientFrame(bitFIN|0x3, []byte("x")), closeProtocolError},
		{"opcode 0x7", clientFrame(bitFIN|0x7, nil), closeProtocolError},
		{"opcode 0xB", clientFrame(bitFIN|0xB, nil), closeProtocolError},
		{"ping 126 bytes", clientFrame(bitFIN|opPing, bytes.Repeat([]byte("p"), 126)), closeProtocolError},
		{"ping FIN=0", clientFrame(opPing, []byte("p")), closeProtocolError},
		{"continuation with no message", clientFrame(bitFIN|opContinuation, []byte("x")), closeProtocolError},
		{"text inside a fragmented message", cat(clientFrame(opText, []byte("a")), clientFrame(bitFIN|opText, []byte("b"))), closeProtocolError},
		{"unmasked client frame", []byte{bitFIN | opText, 2, 'h', 'i'}, closeProtocolError},
		{"invalid UTF-8 C3 28", clientFrame(bitFIN|opText, []byte{0xC3, 0x28}), closeInvalidPayload},
		{"close with 1-byte payload", clientFrame(bitFIN|opClose, []byte{0x03}), closeProtocolError},
		{"close code 1005", clientFrame(bitFIN|opClose, closePayload(1005, "")), closeProtocolError},
		{"close code 999", clientFrame(bitFIN|opClose, closePayload(999, "")), closeProtocolError},
		{"close reason invalid UTF-8", clientFrame(bitFIN|opClose, closePayload(1000, "\xff")), closeInvalidPayload},
		{"binary frame on JSON", clientFrame(bitFIN|opBinary, []byte("{}")), closeUnsupportedData},
		{"non-minimal length 127 carrying 5", cat(lenHeader(bitFIN|opText, 127, []byte{0, 0, 0, 0, 0, 0, 0, 5}), []byte("hello")), closeProtocolError},
		{"non-minimal length 126 carrying 100", cat(lenHeader(bitFIN|opText, 126, []byte{0, 100}), bytes.Repeat([]byte("a"), 100)), closeProtocolError},
	}
	iterations := 0
	for iterations < 100 {
		for _, in := range inputs {
			if iterations == 100 {
				break
			}
			iterations++
			c := dialUpgraded(t, ts.addr)
			start := time.Now()
			c.write(in.in)
			if got := c.expectClose(); got != in.code {
				t.Fatalf("%s: close code %d, want %d", in.name, got, in.code)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("%s: close after %v", in.name, d)
			}
			_ = c.nc.Close()
			healthy.check()
		}
	}
	// Every connection's session saw HandleClosed once; goroutines are back.
	waitFor(t, 5*time.Second, "every session closed", func() bool {
		ss := acc.sessions()
		for _, s := range ss[1:] {
			if s.closeCount() != 1 {
				return false
			}
		}
		return len(ss) == 101
	})
	waitFor(t, 5*time.Second, "goroutines back to baseline", func() bool {
		return runtime.NumGoroutine() <= baseline
	})
	for _, s := range acc.sessions()[1:] {
		if len(s.messages()) != 0 {
			t.Fatalf("a malformed connection delivered messages %q", s.messages())
		}
	}
	if acc.sessions()[0].closeCount() != 0 {
		t.Fatal("the healthy connection was closed")
	}
	st := ts.Stats()
	if st.ClosesSent[closeProtocolError] == 0 || st.ClosesSent[closeInvalidPayload] == 0 || st.ClosesSent[closeUnsupportedData] == 0 {
		t.Fatalf("close counters %v", st.ClosesSent)
	}
}

// C01 steps 3–4: the 15-byte frames with huge declared lengths close within
// 1 s with 1002 (top bit set) or 1009 (over the limit), and nothing near the
// declared size is ever buffered.
func TestLengthOverflow(t *testing.T) {
	const L = 64 << 10
	acc := &testAcceptor{echo: true}
	ts := startServer(t, Config{MaxMessageSize: L, CloseTimeout: 200 * time.Millisecond}, acc)
	healthy := newHealthyClient(t, ts.url)
	tests := []struct {
		length []byte
		code   uint16
	}{
		{[]byte{0x80, 0, 0, 0, 0, 0, 0, 1}, closeProtocolError},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, closeProtocolError},
		{[]byte{0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, closeMessageTooBig},
		{[]byte{0, 0, 0, 0, 0, 0x10, 0, 1}, closeMessageTooBig},
	}
	for _, tc := range tests {
		c := dialUpgraded(t, ts.addr)
		frame := append([]byte{bitFIN | opText, bitMask | 127}, tc.length...)
		frame = append(frame, testMask[:]...)
		frame = append(frame, 'x')
		if len(frame) != 15 {
			t.Fatalf("frame is %d bytes", len(frame))
		}
		c.write(frame)
		if got := c.expectClose(); got != tc.code {
			t.Fatalf("length % x: close %d, want %d", tc.length, got, tc.code)
		}
		c.expectEOF(2 * time.Second)
		healthy.check()
	}
	if st := ts.Stats(); st.MaxPartialBytes > L {
		t.Fatalf("buffered %d bytes for one message, limit %d", st.MaxPartialBytes, L)
	}
}

// C01 step 6 over a real socket: exactly L bytes in two fragments with a ping
// between them is delivered and the ping answered; L+1 gets 1009; 200
// continuations get 1009 once the total passes L, and never more than L is
// buffered.
func TestFragmentedMessageLimits(t *testing.T) {
	const L = 64 << 10
	acc := &testAcceptor{echo: true}
	ts := startServer(t, Config{MaxMessageSize: L}, acc)
	healthy := newHealthyClient(t, ts.url)
	body := bytes.Repeat([]byte("a"), L)

	c := dialUpgraded(t, ts.addr)
	c.write(clientFrame(opText, body[:L-1]))
	c.write(clientFrame(bitFIN|opPing, []byte("mid")))
	c.write(clientFrame(bitFIN|opContinuation, body[:1]))
	if op, p, err := c.readFrame(time.Now().Add(10 * time.Second)); err != nil || op != opPong || string(p) != "mid" {
		t.Fatalf("pong: op %d %q %v", op, p, err)
	}
	s := acc.waitSession(t, 1)
	waitFor(t, 10*time.Second, "the L-byte message", func() bool { return len(s.messages()) == 1 })
	if got := len(s.messages()[0]); got != L {
		t.Fatalf("message of %d bytes, want %d", got, L)
	}

	c = dialUpgraded(t, ts.addr)
	c.write(clientFrame(opText, body[:L-1]))
	c.write(clientFrame(bitFIN|opContinuation, []byte("zz")))
	if got := c.expectClose(); got != closeMessageTooBig {
		t.Fatalf("L+1: close %d, want 1009", got)
	}

	c = dialUpgraded(t, ts.addr)
	kib := bytes.Repeat([]byte("k"), 1024)
	go func() {
		// The server stops reading frames at the 64th continuation; the
		// writes after that may fail, which is fine.
		_, _ = c.nc.Write(clientFrame(opText, kib))
		for i := range 200 {
			b0 := opContinuation
			if i == 199 {
				b0 |= bitFIN
			}
			if _, err := c.nc.Write(clientFrame(b0, kib)); err != nil {
				return
			}
		}
	}()
	if got := c.expectClose(); got != closeMessageTooBig {
		t.Fatalf("200 fragments: close %d, want 1009", got)
	}
	healthy.check()
	if st := ts.Stats(); st.MaxPartialBytes > L || st.MaxPartialBytes == 0 {
		t.Fatalf("MaxPartialBytes = %d, want in (0, %d]", st.MaxPartialBytes, L)
	}
}
