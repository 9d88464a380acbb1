// Package deflate provides the message bodies of the WebSocket
// permessage-deflate extension (RFC 7692) without any per-connection state:
// both directions are negotiated without context takeover, so every message
// stands alone and the compressor and decompressor come from shared pools.
//
// A publication is compressed once, for all of its subscribers, into a
// piece: a raw DEFLATE stream (RFC 1951) that ends with a sync flush
// (an empty stored block, whose length fields are the bytes 00 00 ff ff)
// and never refers to data before its start. Pieces can therefore be
// concatenated, with uncompressed bytes between them carried in stored
// blocks (RFC 1951 §3.2.4), into one message: Builder does that, so a
// connection's writer joins several pre-compressed publications and the
// protocol's separators (JSON '\n', Protobuf length prefixes) into one
// WebSocket message without compressing anything again.
//
// Inflate reverses a message body with a hard limit on the inflated size:
// it stops reading as soon as the limit is passed (case C04: a small frame
// that inflates to gigabytes costs at most about twice the limit in memory).
package deflate
