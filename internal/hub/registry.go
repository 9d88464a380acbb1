package hub

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// clientRegistry indexes this node's connections by id, user and address.
type clientRegistry struct {
	mu     sync.RWMutex
	byID   map[string]*Client                     // (mu)
	byUser map[string]smallMap[*Client, struct{}] // connected clients by user (mu)
	byIP   map[netip.Prefix]int                   // open connections per addrKey (mu)
	bySess map[string]*Client                     // emulation sessions (mu)
	// admitting counts each user's connects between reserveUser and
	// bindUser (or unreserveUser): with byUser, every connection of the
	// user this node holds or is letting in (mu).
	admitting map[string]int
	empty     *sync.Cond // signalled when byID becomes empty (on mu)
}

func (r *clientRegistry) init() {
	r.byID = make(map[string]*Client)
	r.byUser = make(map[string]smallMap[*Client, struct{}])
	r.byIP = make(map[netip.Prefix]int)
	r.bySess = make(map[string]*Client)
	r.admitting = make(map[string]int)
	r.empty = sync.NewCond(&r.mu)
}

// addrLimitError refuses a connection for the per-address limit. It is
// the same refusal whether the transport asks before the upgrade (HTTP 429
// with Retry-After) or upgrades that raced past that check are closed
// after it: 3013, a code that tells the client to retry later, since the
// limit frees up as the address's other connections close.
func addrLimitError(key netip.Prefix, max int) error {
	from := key.Addr().String()
	if key.Bits() != key.Addr().BitLen() {
		from = key.String()
	}
	return &DisconnectError{wire.Disconnect{Code: wire.DisconnectTooManyRequests.Code,
		Reason: fmt.Sprintf("too many connections from %s (limit %d); retry later", from, max)}}
}

// addrKey is what the per-address limit counts: an IPv4 address, or an
// IPv6 address's /64 — one subscriber's network, from which a client can
// take any address (RFC 4291 §2.5.1 interface identifiers; sign-in
// attempts are grouped the same way).
func addrKey(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32)
	}
	p, _ := addr.Prefix(64)
	return p
}

func (r *clientRegistry) admitAddr(addr netip.Addr, max int) error {
	if max <= 0 {
		return nil
	}
	key := addrKey(addr)
	r.mu.RLock()
	n := r.byIP[key]
	r.mu.RUnlock()
	if n >= max {
		return addrLimitError(key, max)
	}
	return nil
}

func (r *clientRegistry) add(c *Client, maxPerIP int) error {
	addr := c.remote.Addr()
	key := addrKey(addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	if maxPerIP > 0 && addr.IsValid() && r.byIP[key] >= maxPerIP {
		return addrLimitError(key, maxPerIP)
	}
	r.byID[c.id] = c
	if c.session != "" {
		r.bySess[c.session] = c
	}
	if addr.IsValid() {
		r.byIP[key]++
	}
	return nil
}

// reserveUser reserves a place for one more connection of user on this
// node when the user's connections here (bound, and being admitted) are
// fewer than max; it reports whether it did. This node's count is exact
// and needs no engine, so the per-user limit holds on one node even when
// the engine's cluster-wide count is slow to answer.
func (r *clientRegistry) reserveUser(user string, max int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.byUser[user]
	if set.len()+r.admitting[user] >= max {
		return false
	}
	r.admitting[user]++
	return true
}

// userConnections counts user's connections on this node: bound, and
// being admitted.
func (r *clientRegistry) userConnections(user string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	set := r.byUser[user]
	return set.len() + r.admitting[user]
}

// unreserveUser gives back a place taken by reserveUser for a connection
// that was refused.
func (r *clientRegistry) unreserveUser(user string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreserveUserLocked(user)
}

func (r *clientRegistry) unreserveUserLocked(user string) {
	if r.admitting[user]--; r.admitting[user] <= 0 {
		delete(r.admitting, user)
	}
}

// bindUser records c under its user on this node; reserved says it holds a
// place from reserveUser, which the binding replaces.
func (r *clientRegistry) bindUser(c *Client, user string, reserved bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reserved {
		r.unreserveUserLocked(user)
	}
	// Most users hold one or two connections here: a smallMap keeps them
	// in a slice (8 bytes a connection, where a map per user was hundreds);
	// anonymous connections, which share the user "", get a map.
	set := r.byUser[user]
	set.put(c, struct{}{})
	r.byUser[user] = set
}

func (r *clientRegistry) remove(c *Client, user string, bound bool) {
	addr := c.remote.Addr()
	r.mu.Lock()
	defer r.mu.Unlock()
	if bound {
		r.unbindUserLocked(c, user)
	}
	if r.byID[c.id] != c {
		return // already removed (a connect that lost the race with a close unbinds here)
	}
	delete(r.byID, c.id)
	if c.session != "" {
		delete(r.bySess, c.session)
	}
	if addr.IsValid() {
		key := addrKey(addr)
		if r.byIP[key]--; r.byIP[key] <= 0 {
			delete(r.byIP, key)
		}
	}
	if len(r.byID) == 0 {
		r.empty.Broadcast()
	}
}

// unbindUserLocked removes c from its user's connections, if it is there.
func (r *clientRegistry) unbindUserLocked(c *Client, user string) {
	set, ok := r.byUser[user]
	if !ok {
		return
	}
	set.remove(c)
	if set.len() == 0 {
		delete(r.byUser, user)
	} else {
		r.byUser[user] = set
	}
}

func (r *clientRegistry) bySession(session string) *Client {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.bySess[session]
}

func (r *clientRegistry) get(id string) *Client {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byID[id]
}

func (r *clientRegistry) userClients(user string) []*Client {
	r.mu.RLock()
	defer r.mu.RUnlock()
	set := r.byUser[user]
	out := make([]*Client, 0, set.len())
	for c := range set.all() {
		out = append(out, c)
	}
	return out
}

// appendAll appends every registered client to cs.
func (r *clientRegistry) appendAll(cs []*Client) []*Client {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, c := range r.byID {
		cs = append(cs, c)
	}
	return cs
}

func (r *clientRegistry) each(fn func(*Client)) {
	r.mu.RLock()
	cs := make([]*Client, 0, len(r.byID))
	for _, c := range r.byID {
		cs = append(cs, c)
	}
	r.mu.RUnlock()
	for _, c := range cs {
		fn(c)
	}
}

func (r *clientRegistry) count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byID)
}

// waitEmpty waits until no client is registered or ctx ends.
func (r *clientRegistry) waitEmpty(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.empty.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.byID) > 0 && ctx.Err() == nil {
		r.empty.Wait()
	}
}

// tokenBucket is a rate limiter owned by one goroutine (no lock).
type tokenBucket struct {
	rate     float64 // tokens per second; 0 = unlimited
	burst    float64
	tokens   float64
	last     time.Time
	promised time.Time // the retry time last told to a refused take
}

func (b *tokenBucket) init(rate float64, burst int, now time.Time) {
	b.rate = rate
	b.burst = float64(burst)
	if b.burst < 1 {
		b.burst = max(1, rate)
	}
	b.tokens = b.burst
	b.last = now
}

// take spends one token; when none is left it returns how long until one is.
func (b *tokenBucket) take(now time.Time) (ok bool, retryAfter time.Duration) {
	if b.rate <= 0 {
		return true, 0
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	// The refused takes of one burst are told successive times, one
	// token apart, so a client that retries each after its own hint is
	// not refused again (all told "the next token" would collide).
	at := now.Add(time.Duration((1 - b.tokens) / b.rate * float64(time.Second)))
	if next := b.promised.Add(time.Duration(float64(time.Second) / b.rate)); next.After(at) {
		at = next
	}
	b.promised = at
	return false, at.Sub(now)
}
