package websocket

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/deflate"
	"github.com/liveroom-dev/liveroom/internal/hub"
)

func TestAcceptDeflateOffers(t *testing.T) {
	for _, tc := range []struct {
		offer string
		ok    bool
	}{
		{"permessage-deflate", true},
		{"permessage-deflate; client_max_window_bits", true}, // Chromium's offer
		{"permessage-deflate; server_no_context_takeover; client_no_context_takeover", true},
		{"PerMessage-Deflate ; client_max_window_bits=15", true},
		{`permessage-deflate; client_max_window_bits="10"`, true},
		{"permessage-deflate; server_max_window_bits=15", true},
		{"permessage-deflate; server_max_window_bits=10", false}, // our compressor's window is 32 KiB
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", true},
		{"permessage-deflate; server_max_window_bits", false},
		{"permessage-deflate; client_max_window_bits=16", false},
		{"permessage-deflate; client_max_window_bits=08", false},
		{"permessage-deflate; server_no_context_takeover=1", false},
		{"permessage-deflate; client_no_context_takeover; client_no_context_takeover", false},
		{"permessage-deflate; mystery", false},
		{"x-webkit-deflate-frame", false},
		{"foo, permessage-deflate", true},
		{`foo; a="x,y", permessage-deflate`, true},
		{"", false},
		{strings.Repeat("foo, ", 100) + "permessage-deflate", false}, // past the offers looked at
	} {
		if got := acceptDeflate([]string{tc.offer}); got != tc.ok {
			t.Errorf("acceptDeflate(%q) = %v, want %v", tc.offer, got, tc.ok)
		}
	}
}

// TestDeflateHandshake checks the 101: the extension is answered with both
// no-context-takeover parameters when compression is on and offered, and
// not at all otherwise.
func TestDeflateHandshake(t *testing.T) {
	on := startServer(t, Config{Compression: true}, &testAcceptor{})
	off := startServer(t, Config{}, &testAcceptor{})
	offer := "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
	for _, tc := range []struct {
		ts    *testServer
		extra []string
		want  string
	}{
		{on, []string{offer}, deflateResponse},
		{on, nil, ""},
		{on, []string{"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9"}, ""},
		{off, []string{offer}, ""},
	} {
		c := dialRaw(t, tc.ts.addr)
		resp, err := c.roundTrip(upgradeRequest(tc.ts.addr, tc.extra...))
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade %v: %v %v", tc.extra, resp, err)
		}
		if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != tc.want {
			t.Errorf("offer %v: extensions %q, want %q", tc.extra, got, tc.want)
		}
	}
}

// TestDeflateRoundTrip: a real client (gorilla/websocket, which compresses
// every message it sends once negotiated) talks to a session that answers
// with pre-compressed pieces joined by the hub's builder, and plain
// messages below the threshold.
func TestDeflateRoundTrip(t *testing.T) {
	acc := &testAcceptor{onMsg: func(s *testSession, data []byte) {
		zt := s.tr.(hub.DeflateTransport)
		if len(data) < zt.CompressMinBytes() {
			_ = s.tr.Write(data)
			return
		}
		var b deflate.Builder
		b.Piece(deflate.AppendPiece(nil, data))
		b.RawByte('\n')
		b.Piece(deflate.AppendPiece(nil, data))
		_ = zt.WriteDeflated(b.Finish())
	}}
	ts := startServer(t, Config{Compression: true, CompressMinBytes: 64}, acc)
	d := gorilla.Dialer{EnableCompression: true, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("not negotiated: %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	big := bytes.Repeat([]byte(`{"text":"hello, room"}`), 50)
	for _, msg := range [][]byte{[]byte("short"), big} {
		if err := ws.WriteMessage(gorilla.TextMessage, msg); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		want := msg
		if len(msg) >= 64 {
			want = append(append(append([]byte(nil), msg...), '\n'), msg...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("echo of %d bytes came back as %d bytes", len(msg), len(got))
		}
	}
	st := ts.Stats()
	if st.InflatedIn != 2 || st.DeflatedOut != 1 {
		t.Fatalf("inflated in %d (want 2), deflated out %d (want 1)", st.InflatedIn, st.DeflatedOut)
	}
	sess := acc.sessions()[0]
	waitFor(t, 10*time.Second, "two messages recorded", func() bool { return len(sess.messages()) == 2 })
	if got := sess.messages(); !bytes.Equal(got[1], big) {
		t.Fatalf("session got %d bytes, want %d", len(got[1]), len(big))
	}
}

// TestDeflateClientErrors: RSV1 without negotiation, on a control frame or
// on a continuation frame is 1002; data that is not DEFLATE is 1007; a text
// message that inflates to invalid UTF-8 is 1007; one that inflates past
// MaxInflatedSize is 1009 (C04), also when its fragments are each small.
func TestDeflateClientErrors(t *testing.T) {
	const limit = 1000
	ts := startServer(t, Config{Compression: true, MaxMessageSize: 500, MaxInflatedSize: limit}, &testAcceptor{})
	offer := "Sec-WebSocket-Extensions: permessage-deflate"
	body := func(p []byte) []byte {
		var b deflate.Builder
		b.Piece(deflate.AppendPiece(nil, p))
		return b.Finish()
	}
	zeros := body(make([]byte, limit+1))
	for _, tc := range []struct {
		name   string
		offer  bool
		frames [][]byte
		code   uint16
	}{
		{"RSV1 not negotiated", false, [][]byte{clientFrame(bitFIN|bitRSV1|opText, body([]byte("hi")))}, closeProtocolError},
		{"RSV1 on ping", true, [][]byte{clientFrame(bitFIN|bitRSV1|opPing, nil)}, closeProtocolError},
		{"RSV1 on continuation", true, [][]byte{clientFrame(opText, []byte("a")), clientFrame(bitFIN|bitRSV1|opContinuation, []byte("b"))}, closeProtocolError},
		{"RSV2", true, [][]byte{clientFrame(bitFIN|0x20|opText, []byte("a"))}, closeProtocolError},
		{"not deflate", true, [][]byte{clientFrame(bitFIN|bitRSV1|opText, []byte{0xff, 0xff, 0xff})}, closeInvalidPayload},
		{"invalid UTF-8", true, [][]byte{clientFrame(bitFIN|bitRSV1|opText, body([]byte{0xc3, 0x28}))}, closeInvalidPayload},
		{"inflates past the limit", true, [][]byte{clientFrame(bitFIN|bitRSV1|opText, zeros)}, closeMessageTooBig},
		{"fragments past the limit", true, [][]byte{
			clientFrame(bitRSV1|opText, zeros[:len(zeros)/2]),
			clientFrame(bitFIN|opContinuation, zeros[len(zeros)/2:]),
		}, closeMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *rawConn
			if tc.offer {
				c = dialUpgraded(t, ts.addr, offer)
			} else {
				c = dialUpgraded(t, ts.addr)
			}
			for _, f := range tc.frames {
				c.write(f)
			}
			if got := c.expectClose(); got != tc.code {
				t.Fatalf("close %d, want %d", got, tc.code)
			}
		})
	}
}
