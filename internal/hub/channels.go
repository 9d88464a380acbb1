package hub

import (
	"context"
	"sync"
	"time"
)

// channelRegistry maps channel names to their node state.
//
// A channel whose last reference is released lingers for linger before it
// is stopped: subscribers that come back at once (every connection of a
// node dropped by a network blip) find its recent publications still in
// memory, so each recovery is a copy instead of a read of the stream. A
// reconnect storm of 15,000 subscribers measured 5 s with the channel
// kept and 25 s when it had been stopped between the drop and the return
// (docs/benchmarks.md, decision 0020).
type channelRegistry struct {
	mu     sync.Mutex
	m      map[string]*channel // (mu)
	linger time.Duration       // 0: stop at the last release
}

func (r *channelRegistry) init(linger time.Duration) {
	r.m = make(map[string]*channel)
	r.linger = linger
}

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
	if ch.linger != nil {
		// Back before it was stopped. If the timer already fired, its
		// callback finds the channel referenced and leaves it.
		ch.linger.Stop()
		ch.linger = nil
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
		r.discard(ch)
		return nil, err
	}
	return ch, nil
}

// release drops one reference. At the last one the channel lingers (see
// channelRegistry), or stops at once when lingering is off or the channel
// is no longer registered.
func (r *channelRegistry) release(ch *channel) {
	r.mu.Lock()
	ch.refs--
	if ch.refs > 0 {
		r.mu.Unlock()
		return
	}
	registered := r.m[ch.id.Name] == ch
	if registered && r.linger > 0 {
		ch.lingerGen++
		gen := ch.lingerGen
		ch.linger = time.AfterFunc(r.linger, func() { r.expire(ch, gen) })
		r.mu.Unlock()
		return
	}
	if registered {
		delete(r.m, ch.id.Name)
	}
	r.mu.Unlock()
	ch.stop()
}

// expire stops a channel whose linger ran out, unless it was acquired again
// (or lingers anew) meanwhile.
func (r *channelRegistry) expire(ch *channel, gen uint32) {
	r.mu.Lock()
	if ch.refs > 0 || ch.linger == nil || ch.lingerGen != gen {
		r.mu.Unlock()
		return
	}
	ch.linger = nil
	if r.m[ch.id.Name] == ch {
		delete(r.m, ch.id.Name)
	}
	r.mu.Unlock()
	ch.stop()
}

// discard drops one reference to a channel that failed to start and
// unregisters it at once, so the next acquire starts afresh; it is stopped
// when its last holder lets go.
func (r *channelRegistry) discard(ch *channel) {
	r.mu.Lock()
	if r.m[ch.id.Name] == ch {
		delete(r.m, ch.id.Name)
	}
	r.mu.Unlock()
	r.release(ch) // not registered any more: stops at the last reference
}

func (r *channelRegistry) get(name string) *channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[name]
}

// count is the channels with node state, lingering ones included.
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

// stopAll stops every channel, lingering ones too (shutdown).
func (r *channelRegistry) stopAll() {
	r.mu.Lock()
	for _, ch := range r.m {
		if ch.linger != nil {
			ch.linger.Stop()
			ch.linger = nil
		}
	}
	r.mu.Unlock()
	for _, ch := range r.snapshot() {
		ch.stop()
	}
}
