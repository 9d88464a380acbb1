// Package wsconn is a small WebSocket client (RFC 6455) for the load tool:
// it dials with a chosen source address, reads messages into one reusable
// buffer without allocating, answers control frames, and writes masked text
// frames. It does no compression and no UTF-8 checks.
package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// Opcodes of the frames this client handles.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// maxMessage bounds one message, so a broken peer cannot make the buffer
// grow without end.
const maxMessage = 64 << 20

// CloseError is returned by ReadMessage when the server closed the
// connection with a close frame.
type CloseError struct {
	Code   int // 1005 when the frame had no code
	Reason string
}

func (e *CloseError) Error() string { return fmt.Sprintf("websocket closed: %d %s", e.Code, e.Reason) }

// HandshakeError is returned by Dial when the server did not upgrade.
type HandshakeError struct {
	Status int
	Body   string
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket handshake: status %d: %s", e.Status, e.Body)
}

// Conn is a client WebSocket connection. ReadMessage must be called from one
// goroutine; WriteText may be called from any.
type Conn struct {
	nc net.Conn

	// Read side, owned by the goroutine calling ReadMessage.
	buf        []byte // holds buf[r:w] unread bytes
	r, w       int
	msg        []byte // a fragmented message being assembled
	fragmented bool   // msg holds the start of a message

	wmu  sync.Mutex // guards wbuf and writes to nc
	wbuf []byte
}

// Options configure Dial.
type Options struct {
	// Dialer dials the TCP connection (set LocalAddr to choose the source).
	Dialer *net.Dialer
	// Subprotocol, when set, is requested with Sec-WebSocket-Protocol.
	Subprotocol string
	// ReadBuffer is the initial size of the read buffer; 4 KiB when 0. It
	// grows to hold the largest frame seen.
	ReadBuffer int
}

// Dial opens a WebSocket to addr (host:port) at path. ctx bounds the TCP
// dial and the handshake.
func Dial(ctx context.Context, addr, path string, opt Options) (*Conn, error) {
	d := opt.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := &Conn{nc: nc, buf: make([]byte, max(opt.ReadBuffer, 4096))}
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	err = c.handshake(addr, path, opt.Subprotocol)
	if !stop() || err != nil {
		_ = nc.Close()
		if err == nil || ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return nil, err
	}
	return c, nil
}

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func (c *Conn) handshake(addr, path, subprotocol string) error {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", path, addr, key)
	if subprotocol != "" {
		fmt.Fprintf(&req, "Sec-WebSocket-Protocol: %s\r\n", subprotocol)
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(c.nc, req.String()); err != nil {
		return fmt.Errorf("websocket handshake: write: %w", err)
	}
	// Read until the end of the response head; bytes after it stay in buf.
	end := -1
	for end < 0 {
		if c.w == len(c.buf) {
			return errors.New("websocket handshake: response head too large")
		}
		n, err := c.nc.Read(c.buf[c.w:])
		c.w += n
		if i := bytes.Index(c.buf[:c.w], []byte("\r\n\r\n")); i >= 0 {
			end = i + 4
		} else if err != nil {
			return fmt.Errorf("websocket handshake: read: %w", err)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(c.buf[:end])), nil)
	if err != nil {
		return fmt.Errorf("websocket handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body := string(c.buf[end:c.w])
		return &HandshakeError{Status: resp.StatusCode, Body: strings.TrimSpace(body)}
	}
	sum := sha1.Sum([]byte(key + acceptGUID))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return errors.New("websocket handshake: wrong Sec-WebSocket-Accept")
	}
	if subprotocol != "" && resp.Header.Get("Sec-WebSocket-Protocol") != subprotocol {
		return fmt.Errorf("websocket handshake: server did not accept subprotocol %q", subprotocol)
	}
	c.r = end
	return nil
}

// NetConn returns the underlying connection (for deadlines and Close).
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the TCP connection without a close handshake.
func (c *Conn) Close() error { return c.nc.Close() }

// Abort closes the TCP connection with a reset (SO_LINGER 0): the server
// sees the connection vanish at once, as when a network drops it, and no
// TIME_WAIT holds the local port.
func (c *Conn) Abort() error {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return c.nc.Close()
}
