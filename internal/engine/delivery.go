package engine

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Delivery is a stored publication arriving live on this node, taken from
// the stream's RePublish subject: it was stored before it was re-published,
// and re-published in stream order.
type Delivery struct {
	StoredPub
	// PrevSeq is the stream sequence of the channel's previous message
	// (Nats-Last-Sequence; 0 for the first), a back-link that shows gaps.
	PrevSeq uint64
}

// Subscription is one live interest of this node.
type Subscription interface {
	// Stop ends the interest; the callback is not called after Stop returns
	// except for a call already running.
	Stop()
}

type natsSub struct{ sub *nats.Subscription }

func (s natsSub) Stop() { _ = s.sub.Unsubscribe() }

// dispatchedSub is a subscription whose callbacks run on the dispatcher.
type dispatchedSub struct {
	d   *dispatcher
	sub *nats.Subscription
}

func (s dispatchedSub) Stop() { s.d.unsubscribe(s.sub) }

// Deliveries subscribes this node to a channel's live publications. fn is
// called on the engine's dispatch shard for the channel (one goroutine for
// many channels, so fn must not block for long), in the order the stream
// stored them. Delivery is at most once (a core NATS subscription): a
// publication can be missed, e.g. when this node falls behind, so the
// caller checks offsets and fills gaps with ReadAfter. The interest is
// registered with the server before Deliveries returns, so a read of the
// channel's top made afterwards cannot miss a publication that the
// subscription will not see.
func (e *Engine) Deliveries(ctx context.Context, ch ChannelRef, fn func(Delivery)) (Subscription, error) {
	sub, err := e.subscribeChannel(ctx, ch.outSubject(), func(m *nats.Msg) {
		d, err := parseDelivery(m)
		if err != nil {
			e.log.Error("dropping malformed delivery", "channel", ch.Name, "err", err)
			return
		}
		fn(d)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: subscribe to %s: %w", ch.Name, err)
	}
	return sub, nil
}

func parseDelivery(m *nats.Msg) (Delivery, error) {
	p, err := parseStored(m)
	if err != nil {
		return Delivery{}, err
	}
	prev, err := strconv.ParseUint(m.Header.Get(hdrLastSeq), 10, 64)
	if err != nil {
		return Delivery{}, fmt.Errorf("re-published message without a valid %s header: %w", hdrLastSeq, err)
	}
	return Delivery{StoredPub: p, PrevSeq: prev}, nil
}

// Ephemeral kinds: what travels over a channel's core subjects.
const (
	KindPublication = "pub"  // publications of channels without history
	KindPresence    = "pres" // join and leave events
)

// PublishEphemeral sends a message of the given kind on a channel's core
// subject: nothing stored, no offset. Order holds per publisher.
func (e *Engine) PublishEphemeral(ch ChannelRef, kind string, body []byte) error {
	subject := ch.ephemeralSubject(kind)
	if err := checkSubject("publish", subject); err != nil {
		return err
	}
	if err := e.nc.Publish(subject, body); err != nil {
		return fmt.Errorf("engine: publish to %s: %w", ch.Name, err)
	}
	return nil
}

// EphemeralDeliveries subscribes to a channel's core subject of one kind.
// fn is called on the channel's dispatch shard, in arrival order.
func (e *Engine) EphemeralDeliveries(ctx context.Context, ch ChannelRef, kind string, fn func(body []byte)) (Subscription, error) {
	sub, err := e.subscribeChannel(ctx, ch.ephemeralSubject(kind), func(m *nats.Msg) { fn(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("engine: subscribe to %s: %w", ch.Name, err)
	}
	return sub, nil
}

// Control subjects carry commands between nodes (disconnect a user, end a
// subscription) and answers to scatter-gather queries.
const subjectControl = "lr.ctl."

// Broadcast sends data to every node listening on topic. topic is a
// dot-separated list of tokens; callers encode user-supplied parts with
// EncodeToken.
func (e *Engine) Broadcast(topic string, data []byte) error {
	if err := checkSubject("broadcast", subjectControl+topic); err != nil {
		return err
	}
	if err := e.nc.Publish(subjectControl+topic, data); err != nil {
		return fmt.Errorf("engine: broadcast %s: %w", topic, err)
	}
	return nil
}

// Listen subscribes to a control topic (wildcards allowed). fn runs on one
// goroutine per listener. reply, when non-empty, is where to answer with
// Reply.
func (e *Engine) Listen(ctx context.Context, topic string, fn func(data []byte, reply string)) (Subscription, error) {
	if err := checkSubject("listen", subjectControl+topic); err != nil {
		return nil, err
	}
	sub, err := e.nc.Subscribe(subjectControl+topic, func(m *nats.Msg) { fn(m.Data, m.Reply) })
	if err != nil {
		return nil, fmt.Errorf("engine: listen %s: %w", topic, err)
	}
	if err := e.flush(ctx); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("engine: listen %s: %w", topic, err)
	}
	return natsSub{sub}, nil
}

// Reply answers a control request.
func (e *Engine) Reply(reply string, data []byte) error {
	return e.nc.Publish(reply, data)
}

// Gather sends a request on a control topic and collects answers from
// every listener until want answers arrived or wait elapsed.
func (e *Engine) Gather(ctx context.Context, topic string, data []byte, want int, wait time.Duration) ([][]byte, error) {
	if err := checkSubject("gather", subjectControl+topic); err != nil {
		return nil, err
	}
	inbox := nats.NewInbox()
	sub, err := e.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, fmt.Errorf("engine: gather %s: %w", topic, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := e.nc.PublishRequest(subjectControl+topic, inbox, data); err != nil {
		return nil, fmt.Errorf("engine: gather %s: %w", topic, err)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var out [][]byte
	for want <= 0 || len(out) < want {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			break // deadline: return what arrived
		}
		out = append(out, m.Data)
	}
	return out, nil
}

// flush waits until the server has processed everything sent so far (a
// ping round trip), bounded by ctx or 5 s when ctx has no deadline.
func (e *Engine) flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	return e.nc.FlushWithContext(ctx)
}
