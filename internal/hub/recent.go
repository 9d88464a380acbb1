package hub

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/centrifugal/protocol"
)

// encodedPub is a publication with its encodings, made at most once per
// protocol and shared by every subscriber (design D5: encode once).
type encodedPub struct {
	pub   *protocol.Publication
	at    time.Time // when the engine stored it
	json  []byte    // push reply, JSON (made on first use, under channel.mu)
	proto []byte    // push reply, Protobuf (made on first use, under channel.mu)
}

// push returns the publication as a push reply in the given protocol.
func (e *encodedPub) push(channel string, t protocol.Type) []byte {
	if t == protocol.TypeJSON {
		if e.json == nil {
			e.json = encodePush(channel, e.pub, t)
		}
		return e.json
	}
	if e.proto == nil {
		e.proto = encodePush(channel, e.pub, t)
	}
	return e.proto
}

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

// recentPubs is a ring of the newest publications of a channel, with
// contiguous offsets ending at the channel's top.
type recentPubs struct {
	max   int
	buf   []*encodedPub // ring storage
	head  int           // index of the oldest entry
	count int
}

func (r *recentPubs) add(pub *protocol.Publication, at time.Time) *encodedPub {
	e := &encodedPub{pub: pub, at: at}
	if r.max <= 0 {
		return e
	}
	if r.count > 0 && r.newest().pub.Offset+1 != pub.Offset {
		r.reset() // not contiguous: start over
	}
	if r.buf == nil {
		r.buf = make([]*encodedPub, r.max)
	}
	if r.count < r.max {
		r.buf[(r.head+r.count)%r.max] = e
		r.count++
	} else {
		r.buf[r.head] = e
		r.head = (r.head + 1) % r.max
	}
	return e
}

func (r *recentPubs) newest() *encodedPub { return r.buf[(r.head+r.count-1)%r.max] }

func (r *recentPubs) oldestOffset() uint64 {
	if r.count == 0 {
		return 0
	}
	return r.buf[r.head].pub.Offset
}

func (r *recentPubs) reset() {
	clear(r.buf)
	r.head, r.count = 0, 0
}

// since returns the entries with offsets greater than after when the ring
// holds every one of them up to top, none stored before notBefore (zero: no
// age limit); ok is false when it does not.
func (r *recentPubs) since(after, top uint64, notBefore time.Time) (out []*encodedPub, ok bool) {
	if after >= top {
		return nil, true
	}
	if r.count == 0 || r.newest().pub.Offset != top || r.oldestOffset() > after+1 {
		return nil, false
	}
	for i := 0; i < r.count; i++ {
		e := r.buf[(r.head+i)%r.max]
		if e.pub.Offset > after {
			if e.at.Before(notBefore) {
				return nil, false
			}
			out = append(out, e)
		}
	}
	return out, true
}
