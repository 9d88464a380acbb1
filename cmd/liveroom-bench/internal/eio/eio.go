// Package eio reads and writes the Engine.IO v4 / Socket.IO v5 frames the
// load tool speaks to a Socket.IO server over WebSocket (no long-polling, no
// binary attachments, the default namespace only).
//
// Over WebSocket every text frame holds exactly one Engine.IO packet: a
// type digit, then for type 4 (message) a Socket.IO packet: a type digit,
// an optional acknowledgement id (decimal) and JSON.
//
//	0{"sid":…}                 open (server → client)
//	2 / 3                      ping (server → client) / pong (client → server)
//	40{"token":…} / 40{"sid":…} connect / connected
//	44{"message":…}            connect error
//	42["name",arg]             event; 42<id>["name",arg] asks for an ack
//	43<id>[answer]             ack
package eio

import "bytes"

// Kind is the type of a frame.
type Kind int

const (
	Bad          Kind = iota // empty, unknown type, or a malformed ack id
	Open                     // 0
	Close                    // 1
	Ping                     // 2
	Pong                     // 3
	Connect                  // 40: the namespace connect (or its answer)
	Disconnect               // 41
	Event                    // 42
	Ack                      // 43
	ConnectError             // 44
	Noop                     // 6
	Other                    // 5 (upgrade), 45/46 (binary packets)
)

// Packet is one parsed frame.
type Packet struct {
	Kind  Kind
	ID    uint64 // the ack id of an Event or Ack, when HasID
	HasID bool
	// Data is what follows the type digits and the id: JSON for Open,
	// Connect, Event, Ack and ConnectError.
	Data []byte
}

// Parse reads the frame's types and id. It does not look into the JSON.
func Parse(frame []byte) Packet {
	if len(frame) == 0 {
		return Packet{}
	}
	switch frame[0] {
	case '0':
		return Packet{Kind: Open, Data: frame[1:]}
	case '1':
		return Packet{Kind: Close}
	case '2':
		return Packet{Kind: Ping, Data: frame[1:]}
	case '3':
		return Packet{Kind: Pong, Data: frame[1:]}
	case '6':
		return Packet{Kind: Noop}
	case '5':
		return Packet{Kind: Other}
	case '4':
	default:
		return Packet{}
	}
	if len(frame) < 2 {
		return Packet{}
	}
	p := Packet{Data: frame[2:]}
	switch frame[1] {
	case '0':
		p.Kind = Connect
		return p
	case '1':
		p.Kind = Disconnect
		return p
	case '4':
		p.Kind = ConnectError
		return p
	case '2':
		p.Kind = Event
	case '3':
		p.Kind = Ack
	case '5', '6':
		p.Kind = Other
		return p
	default:
		return Packet{}
	}
	id, n, ok := digits(p.Data, 1<<63-1)
	switch {
	case n == 0 && p.Kind == Ack:
		return Packet{} // an ack always has an id
	case n == 0:
	case !ok:
		return Packet{}
	default:
		p.ID, p.HasID, p.Data = id, true, p.Data[n:]
	}
	return p
}

var (
	pubPrefix  = []byte(`42["pub",{"channel":"`)
	offsetKey  = []byte(`,"offset":`)
	dataTSKey  = []byte(`,"data":{"ts":`)
	okAnswer   = []byte(`[{"ok":true}]`)
	errorField = []byte(`"error"`)
)

// ScanPub reads the offset and the publisher's timestamp from a pub event,
// 42["pub",{"channel":"…","offset":N,"data":{"ts":T,…}}], the key order the
// peer writes. ok is false for any other frame.
func ScanPub(frame []byte) (ts int64, offset uint64, ok bool) {
	rest, ok := bytes.CutPrefix(frame, pubPrefix)
	if !ok {
		return 0, 0, false
	}
	// Skip the channel: a JSON string, so its end is the first quote not
	// escaped by an odd run of backslashes.
	for i := 0; ; i++ {
		q := bytes.IndexByte(rest[i:], '"')
		if q < 0 {
			return 0, 0, false
		}
		i += q
		escaped := false
		for k := i - 1; k >= 0 && rest[k] == '\\'; k-- {
			escaped = !escaped
		}
		if !escaped {
			rest = rest[i+1:]
			break
		}
	}
	if rest, ok = bytes.CutPrefix(rest, offsetKey); !ok {
		return 0, 0, false
	}
	off, n, ok := digits(rest, 1<<64-1)
	if !ok {
		return 0, 0, false
	}
	if rest, ok = bytes.CutPrefix(rest[n:], dataTSKey); !ok {
		return 0, 0, false
	}
	t, _, ok := digits(rest, 1<<63-1)
	if !ok {
		return 0, 0, false
	}
	return int64(t), off, true
}

// AckOK reports whether an ack's data is [{"ok":true}]; failed reports
// whether its answer carries an "error" field. Both are false for an answer
// of another shape (for example a chat's {"offset":…}).
func AckOK(data []byte) (ok, failed bool) {
	if bytes.Equal(data, okAnswer) {
		return true, false
	}
	return false, bytes.Contains(data, errorField)
}

// AppendConnect appends the namespace connect with a token: 40{"token":"…"}.
// The token is a JWT (base64url and dots), so it needs no escaping; other
// bytes are refused by returning dst unchanged and false.
func AppendConnect(dst []byte, token string) ([]byte, bool) {
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return dst, false
		}
	}
	dst = append(dst, `40{"token":"`...)
	dst = append(dst, token...)
	return append(dst, `"}`...), true
}

// AppendEvent appends an event with ack id id (none when 0): 42<id>["name",arg].
// name must need no JSON escaping and arg must be JSON.
func AppendEvent(dst []byte, id uint64, name string, arg []byte) []byte {
	dst = append(dst, '4', '2')
	if id != 0 {
		dst = appendUint(dst, id)
	}
	dst = append(dst, `["`...)
	dst = append(dst, name...)
	dst = append(dst, `",`...)
	dst = append(dst, arg...)
	return append(dst, ']')
}

func appendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// digits reads the decimal number at the start of b, at most limit. It
// returns the value and the digits read; n is 0 when b does not start with
// a digit, ok is false when the number exceeds limit or has a leading zero.
func digits(b []byte, limit uint64) (v uint64, n int, ok bool) {
	cut, last := limit/10, limit%10
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		d := uint64(b[n] - '0')
		if v > cut || (v == cut && d > last) {
			return 0, n + 1, false
		}
		v = v*10 + d
		n++
	}
	if n > 1 && b[0] == '0' {
		return 0, n, false
	}
	return v, n, n > 0
}
