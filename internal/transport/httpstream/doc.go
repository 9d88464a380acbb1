// Package httpstream is liveroom's pair of fallback transports for the
// Centrifugo client protocol v2, for clients that cannot open a WebSocket
// (a proxy that blocks the upgrade, an old network stack): the protocol's
// bidirectional emulation, as the `centrifuge` npm client speaks it.
//
//   - SSE: GET /connection/sse?cf_connect=<connect command, JSON>. The
//     response is text/event-stream; each event's data holds one or more
//     JSON replies, one per `data:` line. JSON only (EventSource reads text).
//   - HTTP-streaming: POST /connection/http_stream whose body holds the
//     connect command (and possibly more) framed like a WebSocket message:
//     JSON commands one per line, or Protobuf commands each prefixed with its
//     varint length (Content-Type: application/octet-stream). The response
//     streams replies in the same framing: JSON replies each ended by '\n',
//     Protobuf replies length-prefixed.
//   - POST /emulation carries every later command: a protocol
//     EmulationRequest {node, session, data} (JSON, or Protobuf with
//     Content-Type: application/octet-stream) whose session and node come
//     from the connect reply. The commands go to the connection through
//     Emulator (the hub), on this node or, over the control bus, on the node
//     that holds the stream, so a cluster needs no sticky sessions. It
//     answers 204 at once; replies arrive on the stream.
//
// Each stream runs in its net/http handler goroutine: the hub's writer
// shards call Transport.Write, which only appends to the connection's
// buffer and wakes the handler; the handler writes everything waiting in
// one write, flushes, and waits again. Buffered counts what waits and what
// is being written, so the hub's queue limit and write timeout close a
// client that stops reading (3008). Close appends the protocol's
// disconnect push ({"push":{"disconnect":{code, reason}}}) and ends the
// response after it.
//
// The main loop, per stream:
//
//	request → limits, decode connect → 200 + headers → Acceptor.Accept
//	        → Session.HandleMessage(connect) → loop: wake → write + flush
//	hub → Transport.Write → buffer → wake        hub → Close → disconnect push → end
//	POST /emulation → decode → Emulator.Emulate → Session.HandleMessage (on its node)
//
// Every entry point is bounded: the request headers by the http.Server
// (ReadHeaderTimeout, MaxHeaderBytes), a body by MaxMessageSize and
// BodyTimeout, every write by WriteTimeout; bad input is refused with a
// 4xx and a plain-text reason before any stream byte is sent.
package httpstream
