package hub

import (
	"net/http"
	"net/netip"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// Transport carries one client connection's frames. The hub owns framing at
// the protocol level (several replies per transport message, see Write); the
// transport owns everything below it (WebSocket frames, SSE events, …).
//
// Implementations must be safe for concurrent use: the hub calls Write from
// its writer goroutines, Close from anywhere, Buffered from timers.
type Transport interface {
	// Name identifies the transport in logs and metrics, e.g. "websocket".
	Name() string
	// Protocol is the encoding on this connection: protocol.TypeJSON or
	// protocol.TypeProtobuf.
	Protocol() protocol.Type
	// Write sends one transport message whose payload holds one or more
	// encoded protocol replies: JSON replies separated by '\n', Protobuf
	// replies each prefixed with its varint length. It never blocks on the
	// peer: what the kernel does not take at once is buffered by the
	// transport and counted by Buffered. It does not retain payload after it
	// returns. It returns an error (wrapping net.ErrClosed) once the
	// connection is closed.
	Write(payload []byte) error
	// Buffered is the number of bytes accepted by Write that the kernel has
	// not taken yet. The hub adds it to its own queue on every write to
	// detect slow consumers, so it must be cheap (no system call).
	Buffered() int
	// Backlog reports the bytes written that the peer has not taken yet
	// (the transport's buffer plus the kernel's send queue) and the total
	// bytes the peer has taken since the connection opened. It may cost a
	// system call; the hub calls it from its liveness sweep only, to close
	// connections that take nothing for the write timeout.
	Backlog() (pending int, taken uint64)
	// Close ends the connection with a disconnect code and reason: for
	// WebSocket a close frame carrying them, sent after what was already
	// written, then the TCP connection is closed once the frame is flushed or
	// after a short timeout. It is safe to call more than once; later calls
	// do nothing. After Close the transport calls Session.HandleClosed.
	Close(d wire.Disconnect)
}

// DeflateTransport is implemented by transports that can carry messages
// compressed with DEFLATE, such as WebSocket with permessage-deflate
// (RFC 7692). The hub compresses each publication once for all subscribers
// (package deflate) and joins the pieces into transport messages itself.
type DeflateTransport interface {
	Transport
	// CompressMinBytes is the smallest message, in bytes, worth sending
	// compressed on this connection; 0 when compression was not
	// negotiated. It does not change during the connection.
	CompressMinBytes() int
	// WriteDeflated sends one transport message whose payload is a
	// message body built by deflate.Builder (a raw DEFLATE stream without
	// its trailing 00 00 ff ff). Otherwise it behaves like Write.
	WriteDeflated(body []byte) error
}

// Session is the hub's side of one connection; the transport drives it.
type Session interface {
	// HandleMessage receives one complete transport message (a WebSocket
	// message: possibly several protocol commands). The transport calls it
	// from one goroutine at a time per connection, never concurrently with
	// itself. data is valid only during the call.
	HandleMessage(data []byte)
	// HandleClosed is called exactly once when the connection is gone, for
	// whatever reason (peer close, network error, Close). cause describes it
	// for logs; it may be nil.
	HandleClosed(cause error)
}

// ConnInfo describes a new connection at accept time.
type ConnInfo struct {
	// Transport is the transport name, e.g. "websocket".
	Transport string
	// Protocol is the negotiated encoding.
	Protocol protocol.Type
	// RemoteAddr is the peer's address (the TCP peer; proxies are not
	// trusted unless configured).
	RemoteAddr netip.AddrPort
	// Header holds the upgrade request's headers (Origin, User-Agent, …).
	Header http.Header
	// Emulation is set by stream transports (SSE, HTTP-streaming) whose
	// client sends later commands with separate requests to the emulation
	// endpoint: the connection gets a session id, sent in the connect
	// reply with this node's id, that Hub.Emulate routes by.
	Emulation bool
}

// Acceptor admits new connections. The hub implements it; transports call
// Accept once per connection after the handshake, before reading frames.
type Acceptor interface {
	// Accept registers a connection and returns its session. It returns an
	// error (a *wire.Error or a wire.Disconnect value wrapped in
	// DisconnectError) when the connection must be refused, e.g. over a
	// connection limit; the transport then closes it with that code.
	Accept(t Transport, info ConnInfo) (Session, error)
}

// DisconnectError refuses or ends a connection with a disconnect code.
type DisconnectError struct{ wire.Disconnect }

func (e *DisconnectError) Error() string { return e.Reason }
