package websocket

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
)

// Defaults applied by NewServer to zero Config fields.
const (
	DefaultMaxMessageSize = 64 << 10         // bytes
	DefaultFrameTimeout   = 10 * time.Second // see Config.FrameTimeout
	DefaultCloseTimeout   = 1 * time.Second  // see Config.CloseTimeout
	DefaultWorkers        = 128              // see Config.Workers
	// DefaultCompressMinBytes is the smallest message compressed when
	// permessage-deflate is on (see Config.CompressMinBytes).
	DefaultCompressMinBytes = 128
)

// Values for the http.Server that mounts the handler. net/http answers 431
// (Request Header Fields Too Large) past MaxHeaderBytes (it allows 4,096
// bytes of slack on top) and closes a connection whose headers have not
// arrived within ReadHeaderTimeout; after the upgrade neither applies, and
// this package's own limits take over.
const (
	// MaxHeaderBytes (bytes) admits a browser upgrade with large cookies
	// and 2,000 short extra headers, and refuses megabytes of headers.
	MaxHeaderBytes = 32 << 10
	// ReadHeaderTimeout bounds a client that trickles its request headers.
	ReadHeaderTimeout = 10 * time.Second
)

// Config configures a Server. The zero value of each field selects its
// default.
type Config struct {
	// MaxMessageSize is the largest message a client may send, in bytes,
	// all fragments together; a frame whose declared length would pass it
	// is refused with close code 1009 as soon as its header arrives.
	// Default 65,536.
	MaxMessageSize int
	// FrameTimeout bounds how long a client may take to send one message
	// (from its first byte to its last, across fragments) or one control
	// frame. A connection stalled mid-frame is closed with 1008 after at
	// most FrameTimeout plus FrameTimeout/10 (capped at 500 ms). Idle
	// connections between messages are not affected. Default 10 s.
	FrameTimeout time.Duration
	// CloseTimeout bounds the closing handshake: after sending a close
	// frame the TCP connection is closed when the peer has answered and the
	// frame is flushed, or after CloseTimeout. Default 1 s.
	CloseTimeout time.Duration
	// Pollers is how many event loops (package netpoll) read the sockets.
	// Default DefaultPollers().
	Pollers int
	// MaxConnections is the most upgraded connections open at once; an
	// upgrade past it is refused with 503 and Retry-After before the
	// socket is taken. It exists to keep descriptors free for the rest of
	// the process (the message store opens files as it goes: at the
	// descriptor limit its writes fail). 0: no limit; see
	// ConnectionsForDescriptors for the value the server uses.
	MaxConnections int
	// Limit, when set, is a count shared with the process's other
	// transports, and replaces MaxConnections: an upgrade takes a place in
	// it (503 with Retry-After when none is left) and gives it back when
	// the connection ends.
	Limit *connlimit.Limit
	// Workers is the most goroutines that run Session callbacks at once
	// (they start on demand and exit when idle). Default 128.
	Workers int
	// Compression accepts permessage-deflate (RFC 7692) when the client
	// offers it, always without context takeover in either direction.
	// Default false: nothing is negotiated.
	Compression bool
	// CompressMinBytes is the smallest message, in bytes, that is sent
	// compressed on a connection that negotiated permessage-deflate;
	// shorter ones go uncompressed (RSV1 clear), where DEFLATE's framing
	// costs more than it saves. Default 128.
	CompressMinBytes int
	// MaxInflatedSize is the largest size, in bytes, that a compressed
	// client message may inflate to; past it the connection is closed with
	// 1009, after inflating at most this many bytes plus one (case C04).
	// MaxMessageSize still limits the compressed bytes on the wire.
	// Default MaxMessageSize.
	MaxInflatedSize int
	// CheckOrigin decides whether to accept an upgrade request (403 when it
	// returns false). Default: accept every origin.
	CheckOrigin func(*http.Request) bool
	// Logger receives the transport's logs. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.MaxMessageSize < 0 || c.FrameTimeout < 0 || c.CloseTimeout < 0 || c.Workers < 0 ||
		c.CompressMinBytes < 0 || c.MaxInflatedSize < 0 || c.Pollers < 0 || c.MaxConnections < 0 {
		return c, errors.New("websocket: negative value in Config")
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.FrameTimeout == 0 {
		c.FrameTimeout = DefaultFrameTimeout
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.CompressMinBytes == 0 {
		c.CompressMinBytes = DefaultCompressMinBytes
	}
	if c.MaxInflatedSize == 0 {
		c.MaxInflatedSize = c.MaxMessageSize
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Pollers == 0 {
		c.Pollers = DefaultPollers()
	}
	if c.CheckOrigin == nil {
		c.CheckOrigin = func(*http.Request) bool { return true }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// sweepInterval is how often the Server looks for stalled frames.
func (c Config) sweepInterval() time.Duration {
	return min(max(c.FrameTimeout/10, 5*time.Millisecond), 500*time.Millisecond)
}

// pendingLimit is how many bytes of received messages may wait for the
// Session of one connection before it is closed with 3013.
func (c Config) pendingLimit() int { return 8*max(c.MaxMessageSize, c.MaxInflatedSize) + 64<<10 }

// ConnectionsForDescriptors is how many connections the HTTP listener may
// hold at once (WebSocket, fallback streams and plain requests together;
// see package connlimit) in a process with a descriptor limit of fdLimit
// (RLIMIT_NOFILE), keeping a reserve for everything else — the message
// store's files, the NATS connections: a fiftieth of the limit, at least
// 256. It returns 0 (no limit) when fdLimit is unknown.
func ConnectionsForDescriptors(fdLimit uint64) int {
	if fdLimit == 0 || fdLimit > 1<<30 {
		return 0
	}
	reserve := max(fdLimit/50, 256)
	if fdLimit <= reserve {
		return 1
	}
	return int(fdLimit - reserve)
}
