package deflate

// maxStored is the most data one stored block carries (RFC 1951 §3.2.4:
// LEN is 16 bits).
const maxStored = 0xFFFF

// Builder joins pieces and uncompressed bytes, in order, into the body of
// one compressed WebSocket message (RFC 7692 §7.2.1). Uncompressed bytes go
// into stored blocks; the first stored block after a piece reuses the
// piece's empty closing block, so a separator of n bytes costs n bytes.
//
// The zero value is ready to use; Reset reuses its buffers. It is not safe
// for concurrent use.
type Builder struct {
	out        []byte // the body so far
	raw        []byte // uncompressed bytes not yet written into out
	afterPiece bool   // out ends with a piece (and so with syncTail)
}

// Reset empties the builder, keeping its buffers.
func (b *Builder) Reset() {
	b.out, b.raw, b.afterPiece = b.out[:0], b.raw[:0], false
}

// Raw adds bytes carried without compression.
func (b *Builder) Raw(p []byte) { b.raw = append(b.raw, p...) }

// RawByte adds one byte carried without compression.
func (b *Builder) RawByte(c byte) { b.raw = append(b.raw, c) }

// Piece adds a piece made by AppendPiece. It panics if p does not end with
// a sync flush: joining it would corrupt the message.
func (b *Builder) Piece(p []byte) {
	if !IsPiece(p) {
		panic("deflate: Builder.Piece given bytes that do not end with a sync flush")
	}
	b.flushRaw()
	b.out = append(b.out, p...)
	b.afterPiece = true
}

// Len is the size of the body so far, counting uncompressed bytes not yet
// placed (each stored block adds 5 bytes at most).
func (b *Builder) Len() int { return len(b.out) + len(b.raw) }

// Finish returns the message body: the DEFLATE stream without its trailing
// 00 00 ff ff, which the receiver appends (RFC 7692 §7.2.2). The result is
// valid until the next call to Reset.
func (b *Builder) Finish() []byte {
	b.flushRaw()
	if b.afterPiece {
		return b.out[:len(b.out)-len(syncTail)]
	}
	// Empty, or ends with a stored block's data: start an empty stored
	// block (header byte 0x00) whose LEN and NLEN the receiver's
	// 00 00 ff ff completes (RFC 7692 §7.2.3.6 shows the empty message).
	b.out = append(b.out, 0x00)
	return b.out
}

// flushRaw writes the waiting uncompressed bytes as stored blocks.
func (b *Builder) flushRaw() {
	raw := b.raw
	for len(raw) > 0 {
		n := min(len(raw), maxStored)
		if b.afterPiece {
			// Turn the piece's empty stored block into this one: its
			// header bits are already written, only LEN/NLEN follow.
			b.out = b.out[:len(b.out)-len(syncTail)]
			b.afterPiece = false
		} else {
			b.out = append(b.out, 0x00) // BFINAL 0, BTYPE 00, padding
		}
		b.out = append(b.out, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		b.out = append(b.out, raw[:n]...)
		raw = raw[n:]
	}
	b.raw = b.raw[:0]
}

// Plain returns the uncompressed bytes added so far and true when no piece
// was added since Reset: a message with nothing compressed in it is better
// sent as it is. The result is valid until the next call that changes b.
func (b *Builder) Plain() ([]byte, bool) {
	if len(b.out) > 0 || b.afterPiece {
		return nil, false
	}
	return b.raw, true
}
