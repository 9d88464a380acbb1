package hub

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

// MaxDataDepth is how deeply JSON data may nest (objects and arrays).
const MaxDataDepth = 64

// ValidateData checks that publication or RPC data is one JSON value in
// valid UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8),
// nested at most MaxDataDepth levels and at most limit bytes (0: no limit).
// UTF-8 is checked because encoding/json's Valid does not: bytes that are
// not UTF-8 could be stored from a Protobuf connection or the server API and
// then could not be sent to any JSON client. The depth is checked with a
// linear scan, so hostile nesting is refused without recursion.
func ValidateData(data []byte, limit int) *wire.Error {
	if limit > 0 && len(data) > limit {
		return wire.Errorf(wire.CodeLimitExceeded, false, "data is %d bytes; the limit is %d", len(data), limit)
	}
	if len(data) == 0 {
		return wire.Errorf(wire.CodeBadRequest, false, "data is empty: send a JSON value")
	}
	if at := wire.FirstInvalidUTF8(data); at >= 0 {
		return wire.Errorf(wire.CodeBadRequest, false, "data is not valid UTF-8 at byte %d: JSON text must be UTF-8", at)
	}
	if at := wire.LoneSurrogate(data); at >= 0 {
		return wire.Errorf(wire.CodeBadRequest, false, "data has a \\u escape at byte %d that is half of a UTF-16 surrogate pair: JSON text must encode whole characters", at)
	}
	if d := wire.JSONDepth(data, MaxDataDepth); d > MaxDataDepth {
		return wire.Errorf(wire.CodeBadRequest, false, "data nests more than %d levels deep", MaxDataDepth)
	}
	if !json.Valid(data) {
		return wire.Errorf(wire.CodeBadRequest, false, "data is not valid JSON")
	}
	return nil
}

func (c *Client) handlePublish(ctx context.Context, id uint32, req *protocol.PublishRequest) *wire.Error {
	h := c.hub
	ns, werr := h.resolveChannel(req.Channel)
	if werr != nil {
		return werr
	}
	c.mu.Lock()
	user, allow := c.user, c.allowList
	s, _ := c.subs.get(req.Channel)
	c.mu.Unlock()
	if allow != nil {
		if _, ok := allow[req.Channel]; !ok {
			return wire.Errorf(wire.CodePermissionDenied, false, "channel %q is not in this connection's token channel list", req.Channel)
		}
	}
	switch ns.Publish {
	case PublishAnonymous, PublishAuthenticated:
		if ns.Publish == PublishAuthenticated && user == "" {
			return wire.Errorf(wire.CodePermissionDenied, false, "sign in to publish to %q", req.Channel)
		}
		if s == nil {
			if werr := subscribeAllowed(ns, req.Channel, user); werr != nil {
				return werr
			}
		}
	case PublishSubscriber:
		if s == nil {
			return wire.Errorf(wire.CodePermissionDenied, false, "subscribe to %q before publishing to it", req.Channel)
		}
	default:
		return wire.Errorf(wire.CodePermissionDenied, false, "clients cannot publish to %q; it is written by the server", req.Channel)
	}
	if werr := ValidateData(req.Data, ns.MaxPublicationBytes); werr != nil {
		return werr
	}
	if werr := h.checkGuard(ctx, ns.Name, c.access(AccessPublish, req.Channel)); werr != nil {
		return werr
	}
	if ns.PublishRate > 0 {
		if ok, retry := c.publishLimiter(ns).take(h.now()); !ok {
			return wire.Errorf(wire.CodeTooManyRequests, true, "publishing too fast to %q: the limit is %g per second; retry in %d ms",
				req.Channel, ns.PublishRate, retry.Milliseconds()+1)
		}
	}
	c.mu.Lock()
	info := &protocol.ClientInfo{User: c.user, Client: c.id, ConnInfo: c.info}
	c.mu.Unlock()
	if _, werr := h.publish(ctx, ChannelID{Name: req.Channel, Namespace: ns.Name}, ns, req.Data, info, ""); werr != nil {
		return werr
	}
	c.send(&protocol.Reply{Id: id, Publish: &protocol.PublishResult{}})
	return nil
}

// publishLimiter returns the connection's publish rate limiter for a
// namespace; it is used only on the command goroutine.
func (c *Client) publishLimiter(ns *Namespace) *tokenBucket {
	if c.pubLimiters == nil {
		c.pubLimiters = make(map[string]*tokenBucket)
	}
	b := c.pubLimiters[ns.Name]
	if b == nil {
		b = &tokenBucket{}
		b.init(ns.PublishRate, ns.PublishBurst, c.hub.now())
		c.pubLimiters[ns.Name] = b
	}
	return b
}

// PublishOutcome is where a publication was stored.
type PublishOutcome struct {
	Offset    uint64 `json:"offset,omitempty"`
	Epoch     string `json:"epoch,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// publish stores (or, without history, sends) one publication.
func (h *Hub) publish(ctx context.Context, id ChannelID, ns *Namespace, data []byte, info *protocol.ClientInfo, idempotencyKey string) (PublishOutcome, *wire.Error) {
	pub := &protocol.Publication{Data: data, Info: info}
	body, err := pub.MarshalCF()
	if err != nil {
		return PublishOutcome{}, wire.Errorf(wire.CodeInternal, true, "internal server error")
	}
	h.metrics.publicationsIn.Add(1)
	if !ns.HasHistory() {
		if err := h.broker.PublishEphemeral(id, EphemeralPublication, body); err != nil {
			return PublishOutcome{}, h.engineError(id.Name, err)
		}
		return PublishOutcome{}, nil
	}
	start := time.Now()
	pos, dup, err := h.broker.Publish(ctx, id, body, idempotencyKey)
	h.cfg.Observer.Publish(time.Since(start), err != nil)
	if err != nil {
		return PublishOutcome{}, h.engineError(id.Name, err)
	}
	return PublishOutcome{Offset: pos.Offset, Epoch: pos.Epoch, Duplicate: dup}, nil
}

// engineError maps an engine failure onto a protocol error.
func (h *Hub) engineError(channel string, err error) *wire.Error {
	switch {
	case errors.Is(err, ErrStorageFull):
		h.storageFullAt.Store(time.Now().UnixNano())
		return wire.Errorf(wire.CodeInternal, true, "storage is full; the publication was not stored: retry later")
	case errors.Is(err, ErrStoreFailed):
		// The engine logged the failure once when it found it.
		return StoreFailedError(err)
	case errors.Is(err, ErrTooLarge):
		return wire.Errorf(wire.CodeLimitExceeded, false, "publication too large for the channel's stream")
	case errors.Is(err, ErrConflict):
		return wire.Errorf(wire.CodeInternal, true, "too many concurrent writers on %q; retry", channel)
	case errors.Is(err, ErrNameTooLong):
		return wire.Errorf(wire.CodeBadRequest, false, "a name in the request (channel, user id or key) is too long for the message bus: use a shorter one")
	case errors.Is(err, ErrUnknownOutcome), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return wire.Errorf(wire.CodeInternal, true, "the engine did not answer in time; the publication may not be stored: retry (with an idempotency key to be safe)")
	}
	h.log.Error("engine error", "channel", channel, "err", err)
	return wire.Errorf(wire.CodeInternal, true, "internal server error; retry")
}

// readError maps an engine failure of a read (history, presence) onto a
// protocol error: as engineError, but a read that timed out stored
// nothing, so it is only retried.
func (h *Hub) readError(channel string, err error) *wire.Error {
	if errors.Is(err, ErrUnknownOutcome) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return wire.Errorf(wire.CodeInternal, true, "the engine did not answer in time about %q; retry", channel)
	}
	return h.engineError(channel, err)
}

// StoreFailedError is the error a client gets for a write refused because
// this node's store failed (err wraps ErrStoreFailed), saying what failed
// and that the node needs a restart; nil for any other error. Callers need
// not log it: the engine logs the failure once when it finds it.
func StoreFailedError(err error) *wire.Error {
	if !errors.Is(err, ErrStoreFailed) {
		return nil
	}
	detail := err.Error()
	if i := strings.LastIndex(detail, "on this node: "); i >= 0 {
		detail = detail[i+len("on this node: "):]
	}
	return wire.Errorf(wire.CodeInternal, true, "not stored: this node's store failed (%s); an operator must restart the node, then retry", detail)
}
