package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveroom-dev/liveroom/internal/engine"
	"github.com/liveroom-dev/liveroom/internal/hub"
)

// broker adapts the JetStream engine to the hub's Broker interface. It is
// the one place where engine types and errors become hub types and errors.
type broker struct{ e *engine.Engine }

var _ hub.Broker = broker{}

func ref(ch hub.ChannelID) engine.ChannelRef { return engine.Ref(ch.Namespace, ch.Name) }

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrUnrecoverable):
		return fmt.Errorf("%w: %w", hub.ErrUnrecoverable, err)
	case errors.Is(err, engine.ErrStorageFull):
		return fmt.Errorf("%w: %w", hub.ErrStorageFull, err)
	case errors.Is(err, engine.ErrStoreFailed):
		// Both sentinels say the same thing: keep the engine's words once.
		return alsoIs{err: err, sentinel: hub.ErrStoreFailed}
	case errors.Is(err, engine.ErrTooLarge):
		return fmt.Errorf("%w: %w", hub.ErrTooLarge, err)
	case errors.Is(err, engine.ErrNameTooLong):
		return fmt.Errorf("%w: %w", hub.ErrNameTooLong, err)
	case errors.Is(err, engine.ErrConflict):
		return fmt.Errorf("%w: %w", hub.ErrConflict, err)
	case errors.Is(err, engine.ErrUnknownOutcome):
		return fmt.Errorf("%w: %w", hub.ErrUnknownOutcome, err)
	case errors.Is(err, engine.ErrOffsetMoved):
		return fmt.Errorf("%w: %w", hub.ErrOffsetMoved, err)
	case errors.Is(err, engine.ErrKeyNotFound):
		return fmt.Errorf("%w: %w", hub.ErrKeyNotFound, err)
	case errors.Is(err, engine.ErrKeyExists):
		return fmt.Errorf("%w: %w", hub.ErrKeyExists, err)
	case errors.Is(err, engine.ErrRevisionMoved):
		return fmt.Errorf("%w: %w", hub.ErrRevisionMoved, err)
	}
	return err
}

func (b broker) Publish(ctx context.Context, ch hub.ChannelID, body []byte, key string) (hub.StreamPosition, bool, error) {
	res, err := b.e.Publish(ctx, ref(ch), body, key)
	if err != nil {
		return hub.StreamPosition{}, false, mapErr(err)
	}
	return hub.StreamPosition{Offset: res.Offset, Epoch: res.Epoch}, res.Duplicate, nil
}

func (b broker) Append(ctx context.Context, ch hub.ChannelID, body []byte, expected uint64) (hub.StreamPosition, error) {
	res, err := b.e.Append(ctx, ref(ch), body, expected)
	if err != nil {
		return hub.StreamPosition{}, mapErr(err)
	}
	return hub.StreamPosition{Offset: res.Offset, Epoch: res.Epoch}, nil
}

func (b broker) KVGet(ctx context.Context, bucket, key string) ([]byte, uint64, error) {
	ent, err := b.e.KVGet(ctx, bucket, key)
	return ent.Value, ent.Revision, mapErr(err)
}

func (b broker) KVCreate(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	rev, err := b.e.KVCreate(ctx, bucket, key, value)
	return rev, mapErr(err)
}

func (b broker) KVUpdate(ctx context.Context, bucket, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := b.e.KVUpdate(ctx, bucket, key, value, revision)
	return rev, mapErr(err)
}

func (b broker) KVPut(ctx context.Context, bucket, key string, value []byte) (uint64, error) {
	rev, err := b.e.KVPut(ctx, bucket, key, value)
	return rev, mapErr(err)
}

func (b broker) KVDelete(ctx context.Context, bucket, key string) error {
	return mapErr(b.e.KVDelete(ctx, bucket, key))
}

func (b broker) KVKeys(ctx context.Context, bucket, filter string, limit int) ([]string, error) {
	keys, err := b.e.KVKeys(ctx, bucket, filter, limit)
	return keys, mapErr(err)
}

func (b broker) Top(ctx context.Context, ch hub.ChannelID) (hub.StreamPosition, error) {
	t, err := b.e.ChannelTop(ctx, ref(ch))
	if err != nil {
		return hub.StreamPosition{}, mapErr(err)
	}
	return hub.StreamPosition{Offset: t.Offset, Epoch: t.Epoch}, nil
}

func (b broker) LeaderTop(ctx context.Context, ch hub.ChannelID) (hub.StreamPosition, error) {
	t, err := b.e.LeaderTop(ctx, ref(ch))
	if err != nil {
		return hub.StreamPosition{}, mapErr(err)
	}
	return hub.StreamPosition{Offset: t.Offset, Epoch: t.Epoch}, nil
}

func window(w engine.Window) hub.HistoryWindow {
	out := hub.HistoryWindow{First: w.First, Top: w.Top, Epoch: w.Epoch}
	if len(w.Pubs) > 0 {
		out.Pubs = make([]hub.StoredPublication, len(w.Pubs))
		for i, p := range w.Pubs {
			out.Pubs[i] = hub.StoredPublication{Offset: p.Offset, Time: p.Time, Body: p.Body}
		}
	}
	return out
}

func (b broker) ReadAfter(ctx context.Context, ch hub.ChannelID, after uint64, limit int, now time.Time) (hub.HistoryWindow, error) {
	w, err := b.e.ReadAfter(ctx, ref(ch), after, limit, now)
	return window(w), mapErr(err)
}

func (b broker) ReadOldest(ctx context.Context, ch hub.ChannelID, limit int, now time.Time) (hub.HistoryWindow, error) {
	w, err := b.e.ReadOldest(ctx, ref(ch), limit, now)
	return window(w), mapErr(err)
}

func (b broker) Deliveries(ctx context.Context, ch hub.ChannelID, fn func(hub.StoredPublication)) (hub.Stopper, error) {
	return b.e.Deliveries(ctx, ref(ch), func(d engine.Delivery) {
		fn(hub.StoredPublication{Offset: d.Offset, Time: d.Time, Body: d.Body})
	})
}

func kind(k hub.EphemeralKind) string {
	if k == hub.EphemeralPresence {
		return engine.KindPresence
	}
	return engine.KindPublication
}

func (b broker) PublishEphemeral(ch hub.ChannelID, k hub.EphemeralKind, body []byte) error {
	return b.e.PublishEphemeral(ref(ch), kind(k), body)
}

func (b broker) EphemeralDeliveries(ctx context.Context, ch hub.ChannelID, k hub.EphemeralKind, fn func([]byte)) (hub.Stopper, error) {
	return b.e.EphemeralDeliveries(ctx, ref(ch), kind(k), fn)
}

func (b broker) PresencePut(ctx context.Context, ch hub.ChannelID, client, user string, info []byte) error {
	return b.e.PresencePut(ctx, ref(ch), client, user, info)
}

func (b broker) PresenceDelete(ctx context.Context, ch hub.ChannelID, client, user string) error {
	return b.e.PresenceDelete(ctx, ref(ch), client, user)
}

func (b broker) PresenceLive(ctx context.Context, ch hub.ChannelID, client, user string) (bool, error) {
	return b.e.PresenceLive(ctx, ref(ch), client, user)
}

func (b broker) PresenceList(ctx context.Context, ch hub.ChannelID, max int) ([]hub.PresenceEntry, int, error) {
	entries, total, err := b.e.PresenceList(ctx, ref(ch), max)
	if err != nil {
		return nil, 0, err
	}
	out := make([]hub.PresenceEntry, len(entries))
	for i, e := range entries {
		out[i] = hub.PresenceEntry{Client: e.Client, User: e.User, Info: e.Info}
	}
	return out, total, nil
}

func (b broker) ConnectionPut(ctx context.Context, user, client string) error {
	return b.e.ConnectionPut(ctx, user, client)
}

func (b broker) ConnectionDelete(ctx context.Context, user, client string) error {
	return b.e.ConnectionDelete(ctx, user, client)
}

func (b broker) ConnectionsElsewhereBefore(ctx context.Context, user, client string) (int, error) {
	return b.e.ConnectionsElsewhereBefore(ctx, user, client)
}

func (b broker) ReapInstance(ctx context.Context, instance string, fn func(hub.GoneEntry)) (int, error) {
	return b.e.ReapInstance(ctx, instance, func(r engine.ReapedEntry) {
		fn(hub.GoneEntry{Channel: hub.ChannelID{Name: r.Channel, Namespace: r.Namespace}, Client: r.Client, User: r.User, Info: r.Info})
	})
}

func (b broker) Broadcast(topic string, data []byte) error { return b.e.Broadcast(topic, data) }

func (b broker) Listen(ctx context.Context, topic string, fn func([]byte, string)) (hub.Stopper, error) {
	return b.e.Listen(ctx, topic, fn)
}

func (b broker) Reply(reply string, data []byte) error { return b.e.Reply(reply, data) }

func (b broker) Gather(ctx context.Context, topic string, data []byte, want int, wait time.Duration) ([][]byte, error) {
	return b.e.Gather(ctx, topic, data, want, wait)
}

func (b broker) Healthy(ctx context.Context) error { return b.e.Healthy(ctx) }

// alsoIs is err, which errors.Is also matches with sentinel, without
// repeating the sentinel's text.
type alsoIs struct{ err, sentinel error }

func (a alsoIs) Error() string   { return a.err.Error() }
func (a alsoIs) Unwrap() []error { return []error{a.err, a.sentinel} }

func (b broker) StoreFailure(namespace string) error { return mapErr(b.e.StoreFailure(namespace)) }
