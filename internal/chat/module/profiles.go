package module

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// Profiles: a user's display name (from the "name" of their token's info
// claim) and their token roles, kept in the key-value bucket "profiles"
// under the user id whenever they use the chat. Events carry only user
// ids, so renaming or erasing a user (deleting the key) never rewrites
// history; clients resolve names with chat.profiles.
const profileBucket = "profiles"

// profileRefresh is how often an unchanged profile is written again.
const profileRefresh = time.Hour

// maxProfileUsers bounds one chat.profiles request.
const maxProfileUsers = 100

type profileDoc struct {
	Name  string     `json:"name,omitempty"`
	Roles wire.Roles `json:"roles,omitempty"`
}

type profileCache struct {
	mu   sync.Mutex
	last map[string]profileSeen // user → what this node last wrote (mu)
}

type profileSeen struct {
	doc string
	at  time.Time
}

// seen records the user's profile if it changed (or is old) since this
// node last wrote it.
func (p *profileCache) seen(ctx context.Context, m *Module, user string, info []byte, roles wire.Roles) {
	doc := profileDoc{Roles: roles}
	var named struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(info, &named) == nil {
		doc.Name, _ = chat.CleanText(named.Name)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return
	}
	now := m.now()
	p.mu.Lock()
	if p.last == nil || len(p.last) > 50000 {
		p.last = map[string]profileSeen{}
	}
	prev, ok := p.last[user]
	fresh := ok && prev.doc == string(data) && now.Sub(prev.at) < profileRefresh
	if !fresh {
		p.last[user] = profileSeen{doc: string(data), at: now}
	}
	p.mu.Unlock()
	if fresh {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := m.store.KVPut(ctx, profileBucket, hub.KVKey(user), data); err != nil {
		m.log.Info("profile not stored", "user", user, "err", err)
		p.mu.Lock()
		delete(p.last, user)
		p.mu.Unlock()
	}
}

func (m *Module) profile(ctx context.Context, user string) (profileDoc, bool) {
	raw, _, err := m.store.KVGet(ctx, profileBucket, hub.KVKey(user))
	if err != nil {
		return profileDoc{}, false
	}
	var doc profileDoc
	if json.Unmarshal(raw, &doc) != nil {
		return profileDoc{}, false
	}
	return doc, true
}

// knownRoles are the token roles the user last showed this server.
func (m *Module) knownRoles(ctx context.Context, user string) wire.Roles {
	doc, _ := m.profile(ctx, user)
	return doc.Roles
}

func (m *Module) profilesOf(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatProfilesRequest
	if werr := decodeRoom(wire.MethodChatProfiles, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	if len(req.Users) > maxProfileUsers {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "chat.profiles: %d users; ask for at most %d at a time", len(req.Users), maxProfileUsers)
	}
	granted := map[string]string{}
	if err := m.view(ctx, req.Room, func(r *chat.Room) error {
		for _, u := range req.Users {
			if g := r.GrantedRole(u); g != "" {
				granted[u] = g
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := wire.ChatProfilesResult{Profiles: map[string]wire.ChatProfile{}}
	for _, u := range req.Users {
		if _, done := out.Profiles[u]; done || u == "" {
			continue
		}
		doc, ok := m.profile(ctx, u)
		roles := doc.Roles.For(wire.ChatChannel(req.Room))
		if g := granted[u]; g != "" && !wire.HasRole(roles, g) {
			roles = append(roles, g)
		}
		if !ok && len(roles) == 0 {
			continue
		}
		out.Profiles[u] = wire.ChatProfile{Name: doc.Name, Roles: roles}
	}
	return out, nil
}
