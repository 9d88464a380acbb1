package hub

import (
	"context"
	"fmt"
	"sync"

	"github.com/centrifugal/protocol"
)

// Redactor rewrites the stored publications of one namespace before a
// client reads them as history or recovers them, for features whose
// events can be withdrawn after they were stored: a deleted chat message
// stays in the channel's stream (a stream is append-only, and its offsets
// must stay contiguous), but what is served after the delete must not
// carry its text. Live deliveries are not redacted: a withdrawal always
// comes after what it withdraws.
//
// It gets the channel, the position the reply names (top) and the
// publications, oldest first; it returns a list of the same length and
// offsets, with withdrawn ones replaced by new publications. It must not
// change the publications it is given: they may be shared with the
// channel's recent-publication cache. It may read the engine. An error
// fails the read with a temporary error ("retry"), never an unredacted
// answer.
type Redactor func(ctx context.Context, channel string, top StreamPosition, pubs []*protocol.Publication) ([]*protocol.Publication, error)

// redactorTable holds the redactors by namespace.
type redactorTable struct {
	mu sync.RWMutex
	m  map[string]Redactor
}

// RedactNamespace makes r rewrite every history page and recovery of the
// namespace's channels. Call it before the hub serves clients.
func (h *Hub) RedactNamespace(ns string, r Redactor) {
	h.redactors.mu.Lock()
	defer h.redactors.mu.Unlock()
	if h.redactors.m == nil {
		h.redactors.m = make(map[string]Redactor)
	}
	h.redactors.m[ns] = r
}

// redact runs the namespace's redactor over pubs, if it has one.
func (h *Hub) redact(ctx context.Context, id ChannelID, top StreamPosition, pubs []*protocol.Publication) ([]*protocol.Publication, error) {
	if len(pubs) == 0 {
		return pubs, nil
	}
	h.redactors.mu.RLock()
	r := h.redactors.m[id.Namespace]
	h.redactors.mu.RUnlock()
	if r == nil {
		return pubs, nil
	}
	out, err := r(ctx, id.Name, top, pubs)
	if err != nil {
		return nil, fmt.Errorf("hub: redact %s: %w", id.Name, err)
	}
	if len(out) != len(pubs) {
		return nil, fmt.Errorf("hub: redact %s: the redactor returned %d publications for %d", id.Name, len(out), len(pubs))
	}
	return out, nil
}

// RewriteData is how a Redactor replaces publications: rewrite is called
// with each publication (and its index) and returns new data for it, or
// nil to serve it as stored. The result has the same length and offsets;
// a replaced publication is a new one with the same offset, info, tags
// and time. pubs and its publications are never changed, and pubs itself
// is returned when nothing was replaced. The first error stops the
// rewrite and is returned.
func RewriteData(pubs []*protocol.Publication, rewrite func(i int, p *protocol.Publication) ([]byte, error)) ([]*protocol.Publication, error) {
	var out []*protocol.Publication // a copy of pubs once one changes
	for i, p := range pubs {
		data, err := rewrite(i, p)
		if err != nil {
			return nil, err
		}
		if data == nil {
			continue
		}
		if out == nil {
			out = append([]*protocol.Publication(nil), pubs...)
		}
		out[i] = &protocol.Publication{Offset: p.Offset, Data: data, Info: p.Info, Tags: p.Tags, Time: p.Time}
	}
	if out == nil {
		return pubs, nil
	}
	return out, nil
}
