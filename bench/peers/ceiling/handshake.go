package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// acceptGUID is the fixed GUID of RFC 6455 §1.3.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey is Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// headerHasToken reports whether a comma-separated header has token,
// case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// serverHandshake reads one HTTP request from c and answers 101 when it is
// a valid RFC 6455 opening handshake (§4.2.1); otherwise 400 and an error.
// The first offered subprotocol is echoed, so clients that insist on one
// (like liveroom's) accept the connection. Bytes the client sent after the
// request are dropped: the ceiling never reads the connection again.
func serverHandshake(c net.Conn, timeout time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return fmt.Errorf("read upgrade request: %w", err)
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	raw, kerr := base64.StdEncoding.DecodeString(key)
	var why string
	switch {
	case req.Method != http.MethodGet:
		why = "method is not GET"
	case !headerHasToken(req.Header, "Connection", "upgrade"):
		why = "Connection has no upgrade"
	case !headerHasToken(req.Header, "Upgrade", "websocket"):
		why = "Upgrade is not websocket"
	case req.Header.Get("Sec-WebSocket-Version") != "13":
		why = "Sec-WebSocket-Version is not 13"
	case kerr != nil || len(raw) != 16:
		why = "Sec-WebSocket-Key is not 16 bytes in base64"
	}
	if why != "" {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(why), why)
		return errors.New("upgrade refused: " + why)
	}
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(acceptKey(key))
	if offered := req.Header.Get("Sec-WebSocket-Protocol"); offered != "" {
		first, _, _ := strings.Cut(offered, ",")
		b.WriteString("\r\nSec-WebSocket-Protocol: ")
		b.WriteString(strings.TrimSpace(first))
	}
	b.WriteString("\r\n\r\n")
	if _, err := c.Write([]byte(b.String())); err != nil {
		return fmt.Errorf("write upgrade answer: %w", err)
	}
	return nil
}

// clientHandshake performs the client side on c and returns the bytes the
// server already sent after its answer (frames, when it is quick).
func clientHandshake(c net.Conn, host string, timeout time.Duration) ([]byte, error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		return nil, fmt.Errorf("write upgrade request: %w", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("read upgrade answer: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("upgrade answered %s", resp.Status)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(key) {
		return nil, fmt.Errorf("upgrade answered Sec-WebSocket-Accept %q, want %q", got, acceptKey(key))
	}
	rest, _ := br.Peek(br.Buffered())
	return append([]byte(nil), rest...), nil
}
