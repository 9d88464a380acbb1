package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// ModuleStore is everything a feature module may use of the engine (design
// D4): a feature's events are publications of its channel — one append is
// both the stored event and the live delivery every subscriber sees and
// can recover — plus key-value buckets for snapshots and lookups. Features
// never see the engine itself.
//
// Errors: Append fails with ErrOffsetMoved (wrapped) when another writer
// appended first — re-read, decide again, retry; the KV methods fail with
// ErrKeyNotFound, ErrKeyExists or ErrRevisionMoved as Broker documents;
// a *wire.Error is returned for an invalid channel or one without history;
// anything else is an engine failure worth a temporary error to the client.
type ModuleStore interface {
	// Append stores data (one JSON value) as the channel's next event if
	// the channel's newest offset is expected (0: empty). author, when not
	// nil, travels as the publication's info (who acted).
	Append(ctx context.Context, channel string, data []byte, author *protocol.ClientInfo, expected uint64) (StreamPosition, error)
	// Read returns up to limit (all if < 0) events after offset after,
	// oldest first, with the channel's position. If events after it are
	// no longer kept it fails with ErrUnrecoverable (and the window's
	// First, Top and Epoch): load a snapshot.
	Read(ctx context.Context, channel string, after uint64, limit int) (EventWindow, error)
	// Top returns the channel's newest offset and epoch.
	Top(ctx context.Context, channel string) (StreamPosition, error)

	// Writable returns an error wrapping ErrStoreFailed when the channel's
	// namespace can no longer be written on this node (its store failed),
	// else nil, without a round trip: a feature that writes a second
	// channel after the first (an action, then its audit entry) checks the
	// second before writing the first.
	Writable(channel string) error

	KVGet(ctx context.Context, bucket, key string) (value []byte, revision uint64, err error)
	KVCreate(ctx context.Context, bucket, key string, value []byte) (revision uint64, err error)
	KVUpdate(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error)
	KVPut(ctx context.Context, bucket, key string, value []byte) (revision uint64, err error)
	KVDelete(ctx context.Context, bucket, key string) error
	KVKeys(ctx context.Context, bucket, filter string, limit int) ([]string, error)
}

// Event is one stored publication of a feature channel.
type Event struct {
	Offset uint64
	Time   time.Time
	Data   []byte               // the JSON value appended
	Author *protocol.ClientInfo // nil when appended without one
}

// EventWindow is a read of a feature channel.
type EventWindow struct {
	Events []Event
	// First is the oldest offset still kept (0 if none); Top the newest
	// offset this read saw.
	First, Top uint64
	Epoch      string
}

// Modules returns the store feature modules use.
func (h *Hub) Modules() ModuleStore { return moduleStore{h} }

type moduleStore struct{ h *Hub }

func (m moduleStore) channel(name string) (ChannelID, *Namespace, error) {
	ns, werr := m.h.resolveChannel(name)
	if werr != nil {
		return ChannelID{}, nil, werr
	}
	if !ns.HasHistory() {
		return ChannelID{}, nil, wire.Errorf(wire.CodeNotAvailable, false, "namespace %q keeps no history; feature channels need one", ns.Name)
	}
	return ChannelID{Name: name, Namespace: ns.Name}, ns, nil
}

func (m moduleStore) Append(ctx context.Context, channel string, data []byte, author *protocol.ClientInfo, expected uint64) (StreamPosition, error) {
	id, ns, err := m.channel(channel)
	if err != nil {
		return StreamPosition{}, err
	}
	if werr := ValidateData(data, ns.MaxPublicationBytes); werr != nil {
		return StreamPosition{}, werr
	}
	body, err := (&protocol.Publication{Data: data, Info: author}).MarshalCF()
	if err != nil {
		return StreamPosition{}, fmt.Errorf("hub: encode event for %s: %w", channel, err)
	}
	m.h.metrics.publicationsIn.Add(1)
	start := time.Now()
	pos, err := m.h.broker.Append(ctx, id, body, expected)
	m.h.cfg.Observer.Publish(time.Since(start), err != nil && !errors.Is(err, ErrOffsetMoved))
	if err != nil {
		return StreamPosition{}, fmt.Errorf("hub: append to %s: %w", channel, err)
	}
	return pos, nil
}

func (m moduleStore) Writable(channel string) error {
	id, _, err := m.channel(channel)
	if err != nil {
		return err
	}
	return m.h.broker.StoreFailure(id.Namespace)
}

func (m moduleStore) Read(ctx context.Context, channel string, after uint64, limit int) (EventWindow, error) {
	id, _, err := m.channel(channel)
	if err != nil {
		return EventWindow{}, err
	}
	w, err := m.h.broker.ReadAfter(ctx, id, after, limit, m.h.now())
	if err != nil {
		// The bounds still say what is kept, so a module can load from
		// First after losing its position.
		return EventWindow{First: w.First, Top: w.Top, Epoch: w.Epoch}, fmt.Errorf("hub: read %s after %d: %w", channel, after, err)
	}
	out := EventWindow{First: w.First, Top: w.Top, Epoch: w.Epoch, Events: make([]Event, 0, len(w.Pubs))}
	for _, p := range w.Pubs {
		pub, err := decodePublication(p.Body)
		if err != nil {
			return EventWindow{}, fmt.Errorf("hub: read %s: offset %d undecodable: %w", channel, p.Offset, err)
		}
		out.Events = append(out.Events, Event{Offset: p.Offset, Time: p.Time, Data: pub.Data, Author: pub.Info})
	}
	return out, nil
}

func (m moduleStore) Top(ctx context.Context, channel string) (StreamPosition, error) {
	id, _, err := m.channel(channel)
	if err != nil {
		return StreamPosition{}, err
	}
	return m.h.broker.Top(ctx, id)
}

func (m moduleStore) KVGet(ctx context.Context, bucket, key string) ([]byte, uint64, error) {
	return m.h.broker.KVGet(ctx, bucket, key)
}

func (m moduleStore) KVCreate(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	return m.h.broker.KVCreate(ctx, bucket, key, value)
}

func (m moduleStore) KVUpdate(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error) {
	return m.h.broker.KVUpdate(ctx, bucket, key, value, revision)
}

func (m moduleStore) KVPut(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	return m.h.broker.KVPut(ctx, bucket, key, value)
}

func (m moduleStore) KVDelete(ctx context.Context, bucket, key string) error {
	return m.h.broker.KVDelete(ctx, bucket, key)
}

func (m moduleStore) KVKeys(ctx context.Context, bucket, filter string, limit int) ([]string, error) {
	return m.h.broker.KVKeys(ctx, bucket, filter, limit)
}

// KVKey joins parts into one key-value key, escaping every byte outside
// letters, digits, '-' and '_' as '=' and two hex digits, so user-chosen
// ids (emails, names with spaces) are safe and distinct; parts are joined
// with '.', so a subject filter like "user.*" matches one part.
func KVKey(parts ...string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, '.')
		}
		if p == "" {
			b = append(b, '=') // an empty part stays a visible token
			continue
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
				b = append(b, c)
			} else {
				b = append(b, '=', hex[c>>4], hex[c&0xF])
			}
		}
	}
	return string(b)
}
