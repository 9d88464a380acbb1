package hub

import (
	"context"
	"sync"
)

// channelRegistry maps channel names to their node state.
type channelRegistry struct {
	mu sync.Mutex
	m  map[string]*channel // (mu)
}

func (r *channelRegistry) init() { r.m = make(map[string]*channel) }

// acquire returns the started channel state, starting it on first use.
// Every successful acquire must be paired with a release.
func (r *channelRegistry) acquire(ctx context.Context, h *Hub, id ChannelID, ns *Namespace) (*channel, error) {
	r.mu.Lock()
	ch := r.m[id.Name]
	created := ch == nil
	if created {
		ch = newChannel(h, id, ns)
		r.m[id.Name] = ch
	}
	ch.refs++
	r.mu.Unlock()
	if created {
		ch.startErr = ch.start(ctx)
		close(ch.ready)
	} else {
		select {
		case <-ch.ready:
		case <-ctx.Done():
			r.release(ch)
			return nil, ctx.Err()
		}
	}
	if ch.startErr != nil {
		err := ch.startErr
		r.release(ch)
		return nil, err
	}
	return ch, nil
}

// release drops one reference; the last one stops the channel on this node.
func (r *channelRegistry) release(ch *channel) {
	r.mu.Lock()
	ch.refs--
	last := ch.refs == 0
	if last && r.m[ch.id.Name] == ch {
		delete(r.m, ch.id.Name)
	}
	r.mu.Unlock()
	if last {
		ch.stop()
	}
}

func (r *channelRegistry) get(name string) *channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[name]
}

func (r *channelRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

func (r *channelRegistry) snapshot() []*channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*channel, 0, len(r.m))
	for _, ch := range r.m {
		out = append(out, ch)
	}
	return out
}

func (r *channelRegistry) stopAll() {
	for _, ch := range r.snapshot() {
		ch.stop()
	}
}
