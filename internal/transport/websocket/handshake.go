package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/centrifugal/protocol"
)

// Subprotocols of the Centrifugo client protocol (RFC 6455 §1.9).
const (
	SubprotocolJSON     = "centrifuge-json"
	SubprotocolProtobuf = "centrifuge-protobuf"
)

// acceptGUID is appended to the client key to form Sec-WebSocket-Accept
// (RFC 6455 §1.3, §4.2.2).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// upgrade is a validated upgrade request.
type upgrade struct {
	key         string        // Sec-WebSocket-Key, 24 base64 characters
	proto       protocol.Type // negotiated encoding
	subprotocol string        // to echo, "" for none
	deflate     bool          // permessage-deflate offered in an acceptable form
}

// handshakeError is a refused upgrade: an HTTP status and a short body.
type handshakeError struct {
	status int
	msg    string
}

func refuse(status int, msg string) *handshakeError {
	return &handshakeError{status: status, msg: msg}
}

// parseUpgrade validates an opening handshake (RFC 6455 §4.2.1) in time
// linear in the size of the headers, and without regular expressions. It
// reads only what it needs; of the extensions (§9.1) only permessage-deflate
// is looked at (RFC 7692), and the caller decides whether to accept it.
func parseUpgrade(r *http.Request) (upgrade, *handshakeError) {
	var u upgrade
	if r.Method != http.MethodGet {
		return u, refuse(http.StatusMethodNotAllowed, "websocket upgrade requires GET")
	}
	if !r.ProtoAtLeast(1, 1) || r.ProtoMajor != 1 {
		return u, refuse(http.StatusBadRequest, "websocket upgrade requires HTTP/1.1")
	}
	switch up := r.Header["Upgrade"]; {
	case len(up) == 0:
		return u, refuse(http.StatusBadRequest, "missing Upgrade header")
	case len(up) > 1:
		return u, refuse(http.StatusBadRequest, "Upgrade header sent more than once")
	case !hasToken(up, "websocket"):
		return u, refuse(http.StatusBadRequest, "Upgrade header does not name websocket")
	}
	if !hasToken(r.Header["Connection"], "upgrade") {
		return u, refuse(http.StatusBadRequest, "Connection header does not contain upgrade")
	}
	if v := r.Header["Sec-Websocket-Version"]; len(v) != 1 || trimOWS(v[0]) != "13" {
		return u, refuse(http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version: only 13 is supported")
	}
	keys := r.Header["Sec-Websocket-Key"]
	if len(keys) != 1 || !validKey(trimOWS(keys[0])) {
		return u, refuse(http.StatusBadRequest, "Sec-WebSocket-Key must be one base64 value of 16 bytes")
	}
	u.key = trimOWS(keys[0])

	u.proto = protocol.TypeJSON
	u.subprotocol = pickSubprotocol(r.Header["Sec-Websocket-Protocol"])
	if u.subprotocol == SubprotocolProtobuf {
		u.proto = protocol.TypeProtobuf
	}
	u.deflate = acceptDeflate(r.Header["Sec-Websocket-Extensions"])
	switch format := r.URL.Query().Get("format"); format {
	case "":
	case "json", "protobuf":
		if u.subprotocol != "" && protocol.Type(format) != u.proto {
			return u, refuse(http.StatusBadRequest, "format query and Sec-WebSocket-Protocol disagree")
		}
		u.proto = protocol.Type(format)
	default:
		return u, refuse(http.StatusBadRequest, "format must be json or protobuf")
	}
	return u, nil
}

// validKey reports whether k is the base64 encoding of exactly 16 bytes
// (RFC 6455 §4.1 item 7).
func validKey(k string) bool {
	if len(k) != 24 {
		return false
	}
	var dst [18]byte
	n, err := base64.StdEncoding.Decode(dst[:], []byte(k))
	return err == nil && n == 16
}

// pickSubprotocol returns the first subprotocol the client offers that we
// speak, or "" (RFC 6455 §4.2.2 item 5.4). Values are comma-separated
// tokens; anything else in them is skipped, in linear time.
func pickSubprotocol(values []string) string {
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			switch trimOWS(item) {
			case SubprotocolProtobuf:
				return SubprotocolProtobuf
			case SubprotocolJSON:
				return SubprotocolJSON
			}
		}
	}
	return ""
}

// hasToken reports whether a comma-separated header list in values holds
// token, compared case-insensitively (RFC 9110 §5.6.1), in linear time.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(trimOWS(item), token) {
				return true
			}
		}
	}
	return false
}

// trimOWS strips optional whitespace (spaces and tabs) from both ends.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// appendSwitchingProtocols appends the 101 response (RFC 6455 §4.2.2).
func appendSwitchingProtocols(dst []byte, u upgrade) []byte {
	h := sha1.New()
	h.Write([]byte(u.key))
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
	if u.subprotocol != "" {
		dst = append(dst, "\r\nSec-WebSocket-Protocol: "...)
		dst = append(dst, u.subprotocol...)
	}
	if u.deflate {
		dst = append(dst, "\r\nSec-WebSocket-Extensions: "...)
		dst = append(dst, deflateResponse...)
	}
	return append(dst, "\r\n\r\n"...)
}
