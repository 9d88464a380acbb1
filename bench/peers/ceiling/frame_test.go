package main

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The example of RFC 6455 §1.3.
func TestAcceptKey(t *testing.T) {
	if got := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("acceptKey = %q", got)
	}
}

func TestFrameCounterAnySplit(t *testing.T) {
	for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		frame := encodeFrame(size)
		stream := bytes.Repeat(frame, 3)
		for _, chunk := range []int{1, 2, 3, 7, 4096, len(stream)} {
			c := frameCounter{size: int64(size)}
			for p := stream; len(p) > 0; {
				k := min(chunk, len(p))
				if err := c.feed(p[:k]); err != nil {
					t.Fatalf("size %d chunk %d: %v", size, chunk, err)
				}
				p = p[k:]
			}
			if c.frames != 3 || c.hn != 0 || c.left != 0 {
				t.Fatalf("size %d chunk %d: %d frames (hn %d, left %d), want 3", size, chunk, c.frames, c.hn, c.left)
			}
		}
	}
}

func TestFrameCounterRefuses(t *testing.T) {
	masked := []byte{0x81, 0x80 | 2, 0, 0, 0, 0, 'a', 'b'}
	if err := (&frameCounter{size: 2}).feed(masked); err == nil || !strings.Contains(err.Error(), "masked") {
		t.Fatalf("masked frame: %v", err)
	}
	if err := (&frameCounter{size: 3}).feed(encodeFrame(2)); err == nil {
		t.Fatal("a frame of the wrong size was accepted")
	}
	binary := encodeFrame(2)
	binary[0] = 0x82
	if err := (&frameCounter{size: 2}).feed(binary); err == nil {
		t.Fatal("a binary frame was accepted")
	}
}

func TestServerHandshakeRefuses(t *testing.T) {
	for name, req := range map[string]string{
		"version 8":  "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
		"short key":  "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"no upgrade": "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"POST":       "POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
	} {
		server, client := net.Pipe()
		errc := make(chan error, 1)
		go func() {
			errc <- serverHandshake(server, time.Second)
			_ = server.Close()
		}()
		go func() { _, _ = client.Write([]byte(req)) }()
		answer, _ := io.ReadAll(client)
		if err := <-errc; err == nil || !strings.HasPrefix(string(answer), "HTTP/1.1 400") {
			t.Errorf("%s: err %v, answer %q", name, err, answer)
		}
		_ = client.Close()
		_ = server.Close()
	}
}
