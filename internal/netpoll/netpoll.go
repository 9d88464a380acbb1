package netpoll

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// Handler receives one connection's events.
//
// OnData and OnClose run on the connection's loop goroutine, never at the
// same time for one connection; OnClose comes last, exactly once. A
// Handler may call Write and Close from OnData and OnClose.
type Handler interface {
	// OnData is given bytes read from the socket, in order; p is valid only
	// during the call.
	OnData(p []byte)
	// OnWritten reports n bytes taken by the kernel, from Write or from a
	// later flush. It is called with the connection's write lock held, on
	// the goroutine that wrote: it must not call Write, Close or Control.
	OnWritten(n int)
	// OnClose reports that the socket is closed and why: nil after Close or
	// Poller.Stop, io.EOF when the peer closed, otherwise the read or write
	// error. Bytes queued and not yet written are dropped.
	OnClose(err error)
}

// Config sets up a Poller. Zero fields take their defaults.
type Config struct {
	// Loops is how many event-loop goroutines serve the connections, which
	// are spread over them in turn. Default 1.
	Loops int
	// ReadBufferSize is the most bytes one read takes from a socket, and
	// the size of each loop's read buffer. A connection with more waiting
	// is read again after the loop's other ready connections. Default
	// 65,536.
	ReadBufferSize int
	// Logger receives errors of the loops themselves. Default: discard.
	Logger *slog.Logger
}

// DefaultReadBufferSize is Config.ReadBufferSize's default, in bytes.
const DefaultReadBufferSize = 64 << 10

func (c Config) withDefaults() (Config, error) {
	if c.Loops < 0 || c.ReadBufferSize < 0 {
		return c, errors.New("netpoll: negative value in Config")
	}
	if c.Loops == 0 {
		c.Loops = 1
	}
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = DefaultReadBufferSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// ErrStopped is returned by Poller.Add once Stop has begun.
var ErrStopped = errors.New("netpoll: poller stopped")

// errClosed is returned by Write and Control on a closed connection.
var errClosed = fmt.Errorf("netpoll: connection closed: %w", net.ErrClosed)
