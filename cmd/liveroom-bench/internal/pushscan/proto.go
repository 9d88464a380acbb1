package pushscan

// Protobuf framing of the client protocol: a binary WebSocket message holds
// one or more replies, each prefixed with its length as a varint; an empty
// reply is a server ping. The reading here walks the wire format's tags and
// lengths only as far as the fields it needs:
//
//	Reply       id = 1 (varint), error = 2, push = 4
//	Push        pub = 4, join = 5, leave = 6 (other fields skipped)
//	Publication data = 4 (bytes: the JSON the publisher sent), offset = 6 (varint)
//
// A field that occurs more than once is read the way Protobuf merges
// messages: scalars and bytes take the last value, messages merge.

// ProtoKind tells what a Protobuf reply is.
type ProtoKind int

const (
	// ProtoBad: not a well-formed reply.
	ProtoBad ProtoKind = iota
	// ProtoPing: the empty reply, a server ping.
	ProtoPing
	// ProtoReply: a reply to a command (its id is set).
	ProtoReply
	// ProtoPub: a publication push whose data starts with {"ts":<digits>.
	ProtoPub
	// ProtoJoinLeave: a join or leave push.
	ProtoJoinLeave
	// ProtoPush: any other push (unsubscribe, disconnect, …), or a
	// publication of another shape.
	ProtoPush
)

// NextProto splits the first length-prefixed reply off msg. ok is false when
// the prefix is truncated, overflows or claims more bytes than msg holds.
func NextProto(msg []byte) (reply, rest []byte, ok bool) {
	n, k, ok := uvarint(msg)
	if !ok || n > uint64(len(msg)-k) {
		return nil, nil, false
	}
	end := k + int(n)
	return msg[k:end], msg[end:], true
}

// ScanProto classifies one reply (without its length prefix) and, for a
// publication push of the tool's shape, returns its timestamp and offset.
func ScanProto(reply []byte) (Pub, ProtoKind) {
	if len(reply) == 0 {
		return Pub{}, ProtoPing
	}
	var id uint64
	var st pushState
	isPush := false
	ok := walk(reply, func(field int, wire int, v uint64, b []byte) bool {
		switch {
		case field == 1 && wire == wireVarint:
			id = v
		case field == 4 && wire == wireBytes:
			isPush = true
			return walk(b, st.pushField)
		}
		return true
	})
	switch {
	case !ok:
		return Pub{}, ProtoBad
	case uint32(id) != 0:
		return Pub{}, ProtoReply
	case !isPush:
		// Neither an id nor a push: an error without id, or fields this
		// tool does not know. Not a ping (that is the empty reply).
		return Pub{}, ProtoPush
	case st.pub:
		if p, ok := DataTS(st.data); ok {
			p.Offset = st.offset
			return p, ProtoPub
		}
		return Pub{}, ProtoPush
	case st.joinLeave && !st.other:
		return Pub{}, ProtoJoinLeave
	}
	return Pub{}, ProtoPush
}

// pushState collects what the fields of a push say.
type pushState struct {
	pub, joinLeave, other bool
	data                  []byte
	offset                uint64
}

func (st *pushState) pushField(field int, wire int, _ uint64, b []byte) bool {
	switch {
	case field == 4 && wire == wireBytes:
		st.pub = true
		return walk(b, st.pubField)
	case (field == 5 || field == 6) && wire == wireBytes:
		st.joinLeave = true
	case field >= 7:
		st.other = true
	}
	return true
}

func (st *pushState) pubField(field int, wire int, v uint64, b []byte) bool {
	switch {
	case field == 4 && wire == wireBytes:
		st.data = b
	case field == 6 && wire == wireVarint:
		st.offset = v
	}
	return true
}

var tsPrefix = []byte(`{"ts":`)

// DataTS reads the timestamp at the start of the publisher's JSON data,
// {"ts":<digits>…; ok is false for data of another shape.
func DataTS(data []byte) (Pub, bool) {
	if len(data) < len(tsPrefix) || string(data[:len(tsPrefix)]) != string(tsPrefix) {
		return Pub{}, false
	}
	ts, _, ok := parseUint(data[len(tsPrefix):], 1<<63-1)
	if !ok {
		return Pub{}, false
	}
	return Pub{TS: int64(ts)}, true
}

// Wire types of the Protobuf encoding.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// walk calls fn for each field of the message in b: its number, wire type,
// and the value (varint) or the bytes (length-delimited). It returns false
// for a malformed message or when fn does.
func walk(b []byte, fn func(field, wire int, v uint64, data []byte) bool) bool {
	for len(b) > 0 {
		tag, n, ok := uvarint(b)
		if !ok || tag>>3 == 0 || tag>>3 > 1<<29-1 {
			return false
		}
		b = b[n:]
		field, wire := int(tag>>3), int(tag&7)
		var v uint64
		var data []byte
		switch wire {
		case wireVarint:
			if v, n, ok = uvarint(b); !ok {
				return false
			}
			b = b[n:]
		case wireFixed64, wireFixed32:
			size := 8
			if wire == wireFixed32 {
				size = 4
			}
			if len(b) < size {
				return false
			}
			b = b[size:]
		case wireBytes:
			l, n, ok := uvarint(b)
			if !ok || l > uint64(len(b)-n) {
				return false
			}
			data, b = b[n:n+int(l)], b[n+int(l):]
		default: // groups (3, 4) and unknown types
			return false
		}
		if !fn(field, wire, v, data) {
			return false
		}
	}
	return true
}

// uvarint reads a base-128 varint of at most 10 bytes that fits in 64 bits.
func uvarint(b []byte) (v uint64, n int, ok bool) {
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, 0, false
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}
