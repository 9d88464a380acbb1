package websocket

import (
	"encoding/binary"
	"unicode/utf8"
)

// Opcodes (RFC 6455 §5.2, §11.8).
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xA
)

// Header bits of the first two bytes (RFC 6455 §5.2).
const (
	bitFIN    byte = 0x80
	bitsRSV   byte = 0x70
	bitRSV1   byte = 0x40 // "per-message compressed" under permessage-deflate (RFC 7692 §6)
	maskOp    byte = 0x0F
	bitMask   byte = 0x80
	maskLen7  byte = 0x7F
	len16Code byte = 126
	len64Code byte = 127
)

const (
	// maxControlPayload is the largest control frame payload (RFC 6455 §5.5).
	maxControlPayload = 125
	// maxCloseReason is the largest close reason that fits a close frame
	// after the 2-byte code (RFC 6455 §5.5.1).
	maxCloseReason = maxControlPayload - 2
	// maxServerHeader is the longest header of an unmasked frame.
	maxServerHeader = 10
	// maxClientHeader is the longest header of a masked frame.
	maxClientHeader = 14
)

// Close codes (RFC 6455 §7.4.1).
const (
	closeNormal          uint16 = 1000
	closeGoingAway       uint16 = 1001
	closeProtocolError   uint16 = 1002
	closeUnsupportedData uint16 = 1003
	closeNoStatus        uint16 = 1005 // never sent on the wire
	closeInvalidPayload  uint16 = 1007
	closePolicyViolation uint16 = 1008
	closeMessageTooBig   uint16 = 1009
	closeInternalError   uint16 = 1011
	closeTryAgainLater   uint16 = 1013 // IANA WebSocket close code registry
)

// validReceivedCloseCode reports whether a peer may send code in a close
// frame (RFC 6455 §7.4.1, §7.4.2): 1000–1003, 1007–1014 and 3000–4999.
// 1004 is reserved; 1005, 1006 and 1015 must never appear on the wire;
// 1016–2999 are reserved for future RFCs; 0–999 and 5000+ are not defined.
func validReceivedCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// isControl reports whether op is a control opcode (RFC 6455 §5.5).
func isControl(op byte) bool { return op&0x8 != 0 }

// knownOpcode reports whether op is defined by RFC 6455; 0x3–0x7 and
// 0xB–0xF are reserved (§5.2).
func knownOpcode(op byte) bool {
	switch op {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
		return true
	}
	return false
}

// appendFrame appends one unmasked frame with FIN set (a server frame,
// RFC 6455 §5.1: a server must not mask) carrying payload.
func appendFrame(dst []byte, op byte, payload []byte) []byte {
	dst = appendHeader(dst, op, len(payload))
	return append(dst, payload...)
}

// appendHeader appends the header of an unmasked FIN frame whose payload is
// n bytes, with the minimal length encoding (RFC 6455 §5.2). op may carry
// bitRSV1.
func appendHeader(dst []byte, op byte, n int) []byte {
	switch {
	case n <= 125:
		return append(dst, bitFIN|op, byte(n))
	case n <= 0xFFFF:
		return append(dst, bitFIN|op, len16Code, byte(n>>8), byte(n))
	default:
		dst = append(dst, bitFIN|op, len64Code)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// appendClosePayload appends a close frame payload: code, then reason made
// valid UTF-8 and cut to 123 bytes on a rune boundary (RFC 6455 §5.5.1).
// Code 1005 means "no status" and yields an empty payload.
func appendClosePayload(dst []byte, code uint16, reason string) []byte {
	if code == closeNoStatus || code == 0 {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, code)
	return append(dst, truncateReason(reason)...)
}

// truncateReason returns reason as valid UTF-8 of at most 123 bytes, cut
// before a rune that would not fit whole.
func truncateReason(reason string) string {
	if !utf8.ValidString(reason) {
		reason = toValidUTF8(reason)
	}
	if len(reason) <= maxCloseReason {
		return reason
	}
	i := maxCloseReason
	for i > 0 && !utf8.RuneStart(reason[i]) {
		i--
	}
	return reason[:i]
}

// toValidUTF8 drops invalid bytes from s.
func toValidUTF8(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			i++
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return string(b)
}

// maskBytes XORs b in place with key, starting at key index pos (RFC 6455
// §5.3), and returns the key index for the byte after b. Masking and
// unmasking are the same operation.
func maskBytes(key [4]byte, pos int, b []byte) int {
	next := (pos + len(b)) & 3
	if len(b) >= 8 {
		var k [4]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		k32 := uint64(binary.LittleEndian.Uint32(k[:]))
		k64 := k32<<32 | k32
		for len(b) >= 32 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k64)
			binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k64)
			binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k64)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			b = b[8:]
		}
		// Whole words keep the key index unchanged modulo 4.
	}
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return next
}
