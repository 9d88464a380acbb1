package module

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// Display names: the "name" of a user's token info claim, kept in the
// bucket under name.<user> whenever they use support (written again when
// it changes, or after nameRefresh). Events carry only user ids; names
// are filled in on reads.
const (
	nameRefresh  = time.Hour
	nameTTL      = 30 * time.Second // how long a read name is reused
	maxNameChars = 64
)

type nameCache struct {
	mu      sync.Mutex
	written map[string]nameAt // user → what this node last wrote (mu)
	read    map[string]nameAt // user → what this node last read (mu)
}

type nameAt struct {
	name string
	at   time.Time
}

func nameKey(user string) string { return hub.KVKey("name", user) }

// noteName records the user's display name from their token info.
func (m *Module) noteName(ctx context.Context, user string, info []byte) {
	var named struct {
		Name string `json:"name"`
	}
	if user == "" || json.Unmarshal(info, &named) != nil {
		return
	}
	name, _ := support.CleanText(named.Name)
	name = strings.ReplaceAll(name, "\n", " ")
	if r := []rune(name); len(r) > maxNameChars {
		name = string(r[:maxNameChars])
	}
	if name == "" {
		return
	}
	now := m.now()
	n := &m.names
	n.mu.Lock()
	if n.written == nil || len(n.written) > 50000 {
		n.written = map[string]nameAt{}
	}
	last, ok := n.written[user]
	if ok && last.name == name && now.Sub(last.at) < nameRefresh {
		n.mu.Unlock()
		return
	}
	n.written[user] = nameAt{name, now}
	n.mu.Unlock()
	if _, err := m.store.KVPut(ctx, bucket, nameKey(user), []byte(name)); err != nil {
		m.log.Info("display name not recorded", "user", user, "err", err)
		n.mu.Lock()
		delete(n.written, user)
		n.mu.Unlock()
	}
}

// nameOf returns a user's display name ("" if unknown).
func (m *Module) nameOf(ctx context.Context, user string) string {
	if user == "" {
		return ""
	}
	now := m.now()
	n := &m.names
	n.mu.Lock()
	if got, ok := n.read[user]; ok && now.Sub(got.at) < nameTTL {
		n.mu.Unlock()
		return got.name
	}
	n.mu.Unlock()
	raw, _, err := m.store.KVGet(ctx, bucket, nameKey(user))
	if err != nil && !errors.Is(err, hub.ErrKeyNotFound) {
		return ""
	}
	n.mu.Lock()
	if n.read == nil || len(n.read) > 50000 {
		n.read = map[string]nameAt{}
	}
	n.read[user] = nameAt{string(raw), now}
	n.mu.Unlock()
	return string(raw)
}

// named fills in a summary's display names.
func (m *Module) named(ctx context.Context, s wire.SupportConversation) wire.SupportConversation {
	s.UserName = m.nameOf(ctx, s.User)
	s.AgentName = m.nameOf(ctx, s.Agent)
	return s
}
