package wsconn

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// Serve reads messages until the connection fails or handle returns an
// error, which Serve returns. Each message is valid only during its call.
//
// On a TCP connection the whole loop runs inside one raw read of the
// socket: a read that leaves room in the buffer means the socket was
// drained, so Serve waits for the poller to report new data instead of
// reading again to see EAGAIN. That is one read system call per arrival
// rather than two, which is most of what a receiving load tool spends.
func (c *Conn) Serve(handle func(msg []byte) error) error {
	raw, ok := c.nc.(syscall.Conn)
	if !ok {
		return c.serveConn(handle)
	}
	rc, err := raw.SyscallConn()
	if err != nil {
		return c.serveConn(handle)
	}
	var result error
	fail := func(err error) bool { result = err; return true }
	err = rc.Read(func(fd uintptr) bool {
		for {
			need, err := c.deliver(handle)
			if err != nil {
				return fail(err)
			}
			c.room(need)
			n, err := syscall.Read(int(fd), c.buf[c.w:])
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return false // wait for the poller
			case err != nil:
				return fail(fmt.Errorf("websocket: read: %w", err))
			case n == 0:
				return fail(fmt.Errorf("websocket: read: %w", io.ErrUnexpectedEOF))
			}
			c.w += n
			if c.w < len(c.buf) { // drained: handle it, then wait
				if _, err := c.deliver(handle); err != nil {
					return fail(err)
				}
				return false
			}
		}
	})
	if result != nil {
		return result
	}
	if err != nil {
		return fmt.Errorf("websocket: read: %w", err)
	}
	return errors.New("websocket: read loop ended")
}

// deliver hands every complete message in the buffer to handle and returns
// the bytes needed for the next frame.
func (c *Conn) deliver(handle func([]byte) error) (need int, err error) {
	for {
		msg, need, err := c.nextMessage()
		if err != nil {
			return 0, err
		}
		if msg == nil {
			return need, nil
		}
		if err := handle(msg); err != nil {
			return 0, err
		}
	}
}

// serveConn is Serve for connections without a socket underneath.
func (c *Conn) serveConn(handle func([]byte) error) error {
	for {
		msg, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if err := handle(msg); err != nil {
			return err
		}
	}
}
