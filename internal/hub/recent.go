package hub

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/centrifugal/protocol"
)

func encodePush(channel string, pub *protocol.Publication, t protocol.Type) []byte {
	data, err := protocol.GetReplyEncoder(t).Encode(&protocol.Reply{Push: &protocol.Push{Channel: channel, Pub: pub}})
	if err != nil {
		// Encoding a well-formed publication cannot fail; keep the
		// connection consistent by sending nothing rather than garbage.
		return nil
	}
	return data
}

// decodePublication decodes a stored publication body. Data that is not
// valid UTF-8 — stored before ValidateData checked it — has each run of
// invalid bytes replaced with U+FFFD, the same way for every reader: JSON
// clients could not be sent it otherwise, and the bad bytes can only be
// inside JSON strings (the data passed json.Valid), so it stays valid JSON.
func decodePublication(body []byte) (*protocol.Publication, error) {
	var pub protocol.Publication
	if err := pub.UnmarshalCF(body); err != nil {
		return nil, fmt.Errorf("decode publication: %w", err)
	}
	if !utf8.Valid(pub.Data) {
		pub.Data = bytes.ToValidUTF8(pub.Data, []byte("\uFFFD"))
	}
	return &pub, nil
}

// recentEntry is one cached publication: its stored body, kept as one
// byte slice the collector does not scan, and decoded only when a
// subscriber recovers it. A decoded publication costs 6–10 heap objects
// (the struct, data, client info and its strings, tags); 900 busy channels
// holding up to 128 of them each made up a quarter of a node's live heap
// (docs/benchmarks.md, "The recovery cache as stored bodies"). The decoded
// form is kept once made, for the next subscriber recovering the same
// publications (a reconnect storm recovers each one thousands of times).
type recentEntry struct {
	offset   uint64
	storedAt int64                 // when the engine stored it, Unix ns
	size     int                   // its size in a reply as replySize estimates it, bytes
	body     []byte                // the publication as the hub encoded it, without its offset
	pub      *protocol.Publication // body decoded, with its offset; nil until a recovery needs it
}

// recentPubs is a ring of the newest publications of a channel, with
// contiguous offsets ending at the channel's top. Its storage grows to max
// entries as publications arrive, so a quiet channel costs a few.
type recentPubs struct {
	max   int
	buf   []recentEntry // ring storage: head is 0 until len(buf) == max
	head  int           // index of the oldest entry
	count int
}

// add caches the publication stored at offset with the given body, whose
// decoded form takes size bytes in a reply (replySize); the ring keeps its
// own copy of body, sized to fit.
func (r *recentPubs) add(offset uint64, at time.Time, body []byte, size int) {
	if r.max <= 0 {
		return
	}
	if r.count > 0 && r.newest().offset+1 != offset {
		r.reset() // not contiguous: start over
	}
	e := recentEntry{offset: offset, size: size, body: bytes.Clone(body)}
	if !at.IsZero() {
		e.storedAt = at.UnixNano()
	}
	switch {
	case r.count < len(r.buf): // head is 0 until the ring is full
		r.buf[r.count] = e
		r.count++
	case r.count < r.max: // grow with the channel: a quiet one holds a few
		r.buf = append(r.buf, e)
		r.count++
	default:
		r.buf[r.head] = e
		r.head = (r.head + 1) % r.max
	}
}

func (r *recentPubs) newest() *recentEntry { return &r.buf[(r.head+r.count-1)%r.max] }

func (r *recentPubs) oldestOffset() uint64 {
	if r.count == 0 {
		return 0
	}
	return r.buf[r.head].offset
}

func (r *recentPubs) reset() {
	clear(r.buf)
	r.head, r.count = 0, 0
}

// since returns the publications with offsets greater than after, decoded
// (shared with other callers: not to be modified), when the ring holds
// every one of them up to top and none was stored before notBefore (zero:
// no age limit); covered is false when it does not. When they would take
// more than budget bytes in a reply, covered is true, tooLarge is true and
// nothing is decoded.
func (r *recentPubs) since(after, top uint64, notBefore time.Time, budget int) (out []*protocol.Publication, covered, tooLarge bool) {
	if after >= top {
		return nil, true, false
	}
	if r.count == 0 || r.newest().offset != top || r.oldestOffset() > after+1 {
		return nil, false, false
	}
	cutoff := int64(0)
	if !notBefore.IsZero() {
		cutoff = notBefore.UnixNano()
	}
	first, size := -1, 0
	for i := 0; i < r.count; i++ {
		e := &r.buf[(r.head+i)%r.max]
		if e.offset <= after {
			continue
		}
		if e.storedAt < cutoff {
			return nil, false, false
		}
		if first < 0 {
			first = i
		}
		size += e.size
	}
	if size > budget {
		return nil, true, true
	}
	for i := first; i < r.count; i++ {
		e := &r.buf[(r.head+i)%r.max]
		if e.pub == nil {
			pub, err := decodePublication(e.body)
			if err != nil {
				// It decoded when it was cached; if it no longer does,
				// let the stream answer instead.
				return nil, false, false
			}
			pub.Offset = e.offset
			e.pub = pub
		}
		out = append(out, e.pub)
	}
	return out, true, false
}
