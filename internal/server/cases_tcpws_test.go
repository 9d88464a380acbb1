package server_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

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
