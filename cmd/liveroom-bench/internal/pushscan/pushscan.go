// Package pushscan reads what the load tool needs from one JSON line of the
// client protocol without decoding it: whether it is a server ping, and for a
// publication push the send timestamp the tool put in the data and the
// publication's offset.
//
// The tool publishes data of the form {"ts":<Unix ns>,"pad":"<letters>"},
// with "ts" first. The server sends a publication as
//
//	{"push":{"channel":"<name>","pub":{"data":<data>,"offset":<n>}}}
//
// The marker `"pub":{"data":{"ts":` right after '{' or ',' cannot occur
// inside the channel's JSON string (a quote there is escaped), so finding it
// is exact (the encoder leaves out an empty channel). The offset is
// the first `"offset":` after the timestamp; the padding holds no quotes, and
// publications from the server API carry no info object that could hold that
// key.
package pushscan

import "bytes"

var (
	pushPrefix = []byte(`{"push":{`)
	pubMarker  = []byte(`"pub":{"data":{"ts":`)
	offsetKey  = []byte(`"offset":`)
)

// IsPing reports whether line is a server ping: an empty reply, "{}".
func IsPing(line []byte) bool {
	return len(line) == 2 && line[0] == '{' && line[1] == '}'
}

// IsPush reports whether line is a push (as opposed to a reply or a ping).
func IsPush(line []byte) bool { return bytes.HasPrefix(line, pushPrefix) }

// Pub is what Scan found in a publication push.
type Pub struct {
	// TS is the "ts" the publisher embedded: Unix time in nanoseconds.
	TS int64
	// Offset is the publication's offset, 0 when the line has none (a
	// channel without history).
	Offset uint64
}

// Scan finds the timestamp and offset in a publication push. ok is false
// for any other line (a reply, a ping, a join push, data of another shape)
// and for numbers that do not fit.
func Scan(line []byte) (p Pub, ok bool) {
	rest, ok := afterMarker(line)
	if !ok {
		return Pub{}, false
	}
	ts, n, ok := parseUint(rest, 1<<63-1)
	if !ok {
		return Pub{}, false
	}
	p.TS = int64(ts)
	rest = rest[n:]
	// Fast path: the tool's padding, then the offset right after the data.
	if tail, ok := bytes.CutPrefix(rest, padKey); ok {
		if end := bytes.IndexByte(tail, '"'); end >= 0 {
			if num, ok := bytes.CutPrefix(tail[end+1:], padEnd); ok {
				return withOffset(p, num)
			}
		}
	}
	j := bytes.Index(rest, offsetKey)
	if j < 0 {
		return p, true
	}
	return withOffset(p, rest[j+len(offsetKey):])
}

var (
	padKey        = []byte(`,"pad":"`)
	padEnd        = []byte(`},"offset":`)
	channelPrefix = []byte(`{"push":{"channel":"`)
)

func withOffset(p Pub, num []byte) (Pub, bool) {
	off, _, ok := parseUint(num, 1<<64-1)
	if !ok {
		return Pub{}, false
	}
	p.Offset = off
	return p, true
}

// afterMarker returns what follows the data's `{"ts":` in a publication
// push. It skips the channel name as a JSON string (cheap: one byte search
// per quote) and expects the marker right after it; other shapes fall back
// to a search for the marker after a '{' or ','.
func afterMarker(line []byte) ([]byte, bool) {
	if !IsPush(line) {
		return nil, false
	}
	if name, ok := bytes.CutPrefix(line, channelPrefix); ok {
		for i := 0; ; {
			q := bytes.IndexByte(name[i:], '"')
			if q < 0 {
				return nil, false
			}
			i += q
			escaped := false
			for k := i - 1; k >= 0 && name[k] == '\\'; k-- {
				escaped = !escaped
			}
			if !escaped {
				if after, ok := bytes.CutPrefix(name[i+1:], commaMarker); ok {
					return after, true
				}
				break
			}
			i++
		}
	}
	from := len(pushPrefix) - 1 // the '{' before the first key
	for {
		i := bytes.Index(line[from+1:], pubMarker)
		if i < 0 {
			return nil, false
		}
		at := from + 1 + i
		if c := line[at-1]; c == '{' || c == ',' {
			return line[at+len(pubMarker):], true
		}
		from = at
	}
}

var commaMarker = []byte(`,"pub":{"data":{"ts":`)

// parseUint reads the decimal digits at the start of b, at most limit. It
// returns the value and the number of bytes read; ok is false when b does not
// start with a digit, the number has a leading zero, or it exceeds limit.
func parseUint(b []byte, limit uint64) (v uint64, n int, ok bool) {
	cut, last := limit/10, limit%10
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		d := uint64(b[n] - '0')
		if v > cut || (v == cut && d > last) {
			return 0, 0, false
		}
		v = v*10 + d
		n++
	}
	if n == 0 || (n > 1 && b[0] == '0') {
		return 0, 0, false
	}
	return v, n, true
}
