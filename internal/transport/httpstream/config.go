package httpstream

import (
	"errors"
	"log/slog"
	"time"

	"github.com/liveroom-dev/liveroom/internal/transport/connlimit"
)

// Defaults applied by NewServer to zero Config fields.
const (
	DefaultMaxMessageSize = 64 << 10         // bytes
	DefaultBodyTimeout    = 10 * time.Second // see Config.BodyTimeout
	DefaultWriteTimeout   = 10 * time.Second // see Config.WriteTimeout
	DefaultCloseTimeout   = 1 * time.Second  // see Config.CloseTimeout
)

// Config configures a Server. The zero value of each field selects its
// default.
type Config struct {
	// MaxMessageSize is the largest transport message a client may send,
	// in bytes: the connect command(s) of a stream request (the cf_connect
	// value, or the HTTP-streaming body) and the commands of one emulation
	// request. Larger ones are refused with 413 (414 for cf_connect).
	// Default 65,536.
	MaxMessageSize int
	// BodyTimeout bounds reading a request body once the headers are in:
	// a client that trickles its body is answered 408 and the connection
	// closed. Default 10 s.
	BodyTimeout time.Duration
	// WriteTimeout bounds one write and flush to a stream; a client that
	// takes nothing for this long ends its stream. Default 10 s.
	WriteTimeout time.Duration
	// CloseTimeout bounds writing what is left, the disconnect push
	// included, once a stream is closed. Default 1 s.
	CloseTimeout time.Duration
	// Limit, when set, counts streams against a limit shared with the
	// process's other transports: a stream takes a place before its first
	// byte (503 with Retry-After when none is left) and gives it back when
	// it ends. Default: no limit.
	Limit *connlimit.Limit
	// Logger receives the transport's logs. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.MaxMessageSize < 0 || c.BodyTimeout < 0 || c.WriteTimeout < 0 || c.CloseTimeout < 0 {
		return c, errors.New("httpstream: negative value in Config")
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Limit == nil {
		c.Limit = connlimit.New(0)
	}
	return c, nil
}

// emulationBodyLimit is the largest emulation request body: a JSON request
// carries the commands as a JSON string, whose escaping (quotes,
// backslashes, newlines) at most doubles them, plus the session and node.
func (c Config) emulationBodyLimit() int64 { return 2*int64(c.MaxMessageSize) + 4<<10 }
