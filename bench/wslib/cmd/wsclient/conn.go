package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// readBufSize is each connection's read buffer and the most it asks the
// kernel to gather before waking the reader (SO_RCVLOWAT): during a
// broadcast one wake-up and read system call take dozens of small frames,
// so the client side costs far less per message than the server side.
const readBufSize = 8192

// wsGUID is the fixed string of RFC 6455 §1.3 behind Sec-WebSocket-Accept.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

type conn struct {
	nc *net.TCPConn
	lr *lowatReader
	br *bufio.Reader // reads from lr
}

// dial opens one TCP connection from local address src and performs the
// WebSocket opening handshake, checking the server's answer. expectBytes is
// how many bytes of frames the connection will receive in all.
func dial(ctx context.Context, src net.IP, addr, path string, expectBytes int64, lowat int) (*conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := nc.(*net.TCPConn)
	rc, err := tc.SyscallConn()
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	lr := &lowatReader{nc: tc, rc: rc, remaining: -1, cur: 1, max: lowat}
	c := &conn{nc: tc, lr: lr, br: bufio.NewReaderSize(lr, readBufSize)}
	if err := c.handshake(addr, path); err != nil {
		_ = nc.Close()
		return nil, err
	}
	// Bytes already buffered past the handshake answer are frames too.
	lr.remaining = expectBytes - int64(c.br.Buffered())
	return c, nil
}

// lowatReader reads from the socket and keeps SO_RCVLOWAT at
// min(readBufSize, bytes still expected), so the reader is woken once per
// batch of frames yet still for the very last byte. It is used by the one
// goroutine that reads the connection.
type lowatReader struct {
	nc        *net.TCPConn
	rc        syscall.RawConn
	remaining int64 // bytes still expected; -1 while not yet known
	cur       int   // the SO_RCVLOWAT now set
	max       int   // the most it sets; <= 1 leaves SO_RCVLOWAT alone
}

func (r *lowatReader) Read(p []byte) (int, error) {
	if r.remaining >= 0 && r.max > 1 {
		want := int(min(max(r.remaining, 1), int64(r.max)))
		if want != r.cur {
			var serr error
			if err := r.rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, want)
			}); err != nil {
				return 0, err
			}
			if serr != nil {
				return 0, fmt.Errorf("SO_RCVLOWAT: %w", serr)
			}
			r.cur = want
		}
	}
	n, err := r.nc.Read(p)
	if r.remaining >= 0 {
		r.remaining -= int64(n)
	}
	return n, err
}

func (c *conn) handshake(host, path string) error {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c.nc, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake: status %s", resp.Status)
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("handshake: bad Sec-WebSocket-Accept %q", got)
	}
	return c.nc.SetDeadline(time.Time{})
}

var errServerClose = errors.New("server sent a close frame")

// readMessage reads frames until one whole data message has arrived and
// returns its payload length, skipping ping and pong frames; payload bytes
// are discarded unread. It checks what a client must check of a server's
// frames: no mask, no reserved bits, no 64-bit length with the top bit set,
// sane fragmentation.
func (c *conn) readMessage() (int64, error) {
	var total int64
	inMessage := false
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			return 0, err
		}
		fin, rsv, op := h[0]&0x80 != 0, h[0]&0x70, h[0]&0x0f
		if rsv != 0 {
			return 0, fmt.Errorf("frame with reserved bits %#x", rsv)
		}
		if h[1]&0x80 != 0 {
			return 0, errors.New("masked frame from server")
		}
		n := int64(h[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(c.br, ext[:]); err != nil {
				return 0, err
			}
			n = int64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(c.br, ext[:]); err != nil {
				return 0, err
			}
			u := binary.BigEndian.Uint64(ext[:])
			if u>>63 != 0 {
				return 0, errors.New("64-bit length with the top bit set")
			}
			n = int64(u)
		}
		if _, err := c.br.Discard(int(n)); err != nil {
			return 0, err
		}
		switch op {
		case 0x8:
			return 0, errServerClose
		case 0x9, 0xA:
			if !fin {
				return 0, errors.New("fragmented control frame")
			}
			continue
		case 0x1, 0x2:
			if inMessage {
				return 0, errors.New("new message inside a fragmented one")
			}
			inMessage = true
		case 0x0:
			if !inMessage {
				return 0, errors.New("continuation frame with no message")
			}
		default:
			return 0, fmt.Errorf("unknown opcode %#x", op)
		}
		total += n
		if fin {
			return total, nil
		}
	}
}

// abort closes the connection with SO_LINGER 0, so the client side leaves
// no TIME_WAIT entry behind to use up ports for the next run.
func (c *conn) abort() {
	_ = c.nc.SetLinger(0)
	_ = c.nc.Close()
}
