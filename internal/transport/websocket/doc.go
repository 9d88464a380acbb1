// Package websocket is liveroom's WebSocket transport for the Centrifugo
// client protocol v2, mounted at /connection/websocket.
//
// The opening handshake goes through net/http (its header limits and
// timeouts apply: see MaxHeaderBytes and ReadHeaderTimeout). The request is
// validated strictly (RFC 6455 §4.2.1), the socket is hijacked, the 101
// response written, and the socket handed to an event loop of package
// netpoll: each loop reads for its share of the connections, so an idle
// connection costs memory only (a few KB), no goroutine.
//
// Frames are parsed by this package's own decoder (RFC 6455 §5), fed the
// bytes each read produced. It unmasks in place, hands a message that sits
// whole in the read buffer over without copying, buffers only bytes actually
// received (at most MaxMessageSize for one message) and fails the
// connection with the close code RFC 6455 asks for (1002, 1003, 1007, 1009)
// as soon as the offending bytes arrive.
//
// permessage-deflate (RFC 7692) is accepted when Config.Compression is on
// and the client offers it, always without context takeover in either
// direction, so a connection holds no compression state: compressed client
// messages are inflated from pooled decompressors under a hard limit on the
// inflated size (MaxInflatedSize, close 1009 past it), and the hub sends
// messages it compressed once for all subscribers through WriteDeflated
// (package deflate builds them).
//
// Complete messages are copied into a per-connection queue and delivered to
// hub.Session.HandleMessage by a small pool of worker goroutines, in order,
// one at a time per connection; Session.HandleClosed follows the last one,
// exactly once. Writes build one frame per call and hand it to the socket
// (netpoll.Conn.Write), which writes what the kernel takes and copies the
// rest; Buffered counts what is left.
//
// The main loop, per connection:
//
//	poller read → decoder.feed → message: queue → worker → Session.HandleMessage
//	                           → ping: pong (on the poller goroutine)
//	                           → close / error: close frame → TCP close
//	hub → Transport.Write → frame → netpoll.Conn.Write (non-blocking)
package websocket
