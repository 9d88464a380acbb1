package module

import (
	"context"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// Floating reactions (reactions:<room>) are published by clients straight
// to the channel, at up to the namespace's publish rate, and the hub
// stores nothing the chat could fold. The chat's write rules apply to
// them as to a message: a user banned or timed out in chat room <room>, or
// a guest while it is members-only, may not float reactions over it. The
// check must not take the room's lock (held across a send's store
// round trip) on this path, so each node keeps, per room, a copy of what
// decides who may write, read from the room at most once a second.

// writeRulesFresh is how long a room's copied write rules are used before
// they are read from the room again: a ban or timeout stops reactions on
// every node within it.
const writeRulesFresh = time.Second

// writeRulesEntry is one room's copied write rules.
type writeRulesEntry struct {
	mu    sync.Mutex
	rules *chat.Room // chat.Room.WriteRules; nil until first read (mu)
	at    time.Time  // when rules were read (mu)
	used  time.Time  // last use (Module.rulesMu)
}

// writeRulesTable holds the entries by room.
type writeRulesTable struct {
	mu sync.Mutex
	m  map[string]*writeRulesEntry
}

// guardReactions refuses a client's floating reaction in a room where the
// user may not write. Reading the channel, and publishes by the server
// API, are not checked; a channel whose name is not a room id is not a
// chat room's and is left to the namespace's own rules.
func (m *Module) guardReactions(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op != hub.AccessPublish || a.Server {
		return nil
	}
	room := roomOf(a.Channel)
	if wire.ValidateRoom(room) != nil {
		return nil
	}
	rules, err := m.writeRulesOf(ctx, room)
	if err != nil {
		m.log.Warn("reaction guard could not read the room", "room", room, "err", err)
		return wire.Errorf(wire.CodeInternal, true, "the rules of room %q cannot be checked right now; retry", room)
	}
	return rules.MayWrite(accessCaller(a).actor(room), m.now())
}

// writeRulesOf returns the room's write rules, read again from the room
// when older than writeRulesFresh. Callers for one room wait for one read.
func (m *Module) writeRulesOf(ctx context.Context, room string) (*chat.Room, error) {
	now := m.now()
	m.writeRules.mu.Lock()
	if m.writeRules.m == nil {
		m.writeRules.m = map[string]*writeRulesEntry{}
	}
	e := m.writeRules.m[room]
	if e == nil {
		e = &writeRulesEntry{}
		m.writeRules.m[room] = e
	}
	e.used = now
	m.writeRules.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rules != nil && now.Sub(e.at) < writeRulesFresh {
		return e.rules, nil
	}
	var rules *chat.Room
	if err := m.view(ctx, room, func(r *chat.Room) error {
		rules = r.WriteRules()
		return nil
	}); err != nil {
		return nil, err
	}
	e.rules, e.at = rules, now
	return rules, nil
}

// dropIdleWriteRules forgets the write rules of rooms no reaction used
// for IdleAfter.
func (m *Module) dropIdleWriteRules(now time.Time) {
	m.writeRules.mu.Lock()
	defer m.writeRules.mu.Unlock()
	for room, e := range m.writeRules.m {
		if now.Sub(e.used) > m.cfg.IdleAfter {
			delete(m.writeRules.m, room)
		}
	}
}
