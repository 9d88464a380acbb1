package module

import (
	"context"
	"encoding/json"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/wire"
)

// view runs fn on the room's current state.
func (m *Module) view(ctx context.Context, id string, fn func(*chat.Room) error) error {
	r := m.room(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := m.catchUp(ctx, r); err != nil {
		return err
	}
	return fn(r.state)
}

func notModerator(room, what string) *wire.Error {
	return wire.Errorf(wire.CodePermissionDenied, false, "only moderators of room %q can %s", room, what)
}

func (m *Module) state(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatRoomRequest
	if werr := decodeRoom(wire.MethodChatState, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	var out wire.ChatState
	err := m.view(ctx, req.Room, func(r *chat.Room) error {
		out = r.StateFor(c.actor(req.Room), m.now())
		return nil
	})
	return out, err
}

func (m *Module) queue(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatRoomRequest
	if werr := decodeRoom(wire.MethodChatQueue, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	var out wire.ChatQueue
	err := m.view(ctx, req.Room, func(r *chat.Room) error {
		if !r.IsModerator(c.actor(req.Room)) {
			return notModerator(req.Room, "see its moderation queue")
		}
		out = r.Queue(m.now())
		return nil
	})
	return out, err
}

// settings reads the room's settings, or changes them (and its term
// filter) when the request says so, then reads them.
func (m *Module) settings(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatSettingsRequest
	if werr := decodeRoom(wire.MethodChatSettings, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	a := c.actor(req.Room)
	if req.Set != nil {
		if _, err := m.exec(ctx, req.Room, chat.SetSettings{Actor: a, Patch: *req.Set}); err != nil {
			return nil, err
		}
	}
	if req.Terms != nil {
		if _, err := m.exec(ctx, req.Room, chat.SetFilter{Actor: a, Terms: *req.Terms}); err != nil {
			return nil, err
		}
	}
	var out wire.ChatSettingsResult
	err := m.view(ctx, req.Room, func(r *chat.Room) error {
		if !r.IsModerator(a) {
			return notModerator(req.Room, "see its settings")
		}
		out = r.Settings()
		return nil
	})
	return out, err
}

// typing relays a typing indicator to typing:<room> when the caller may
// write in the room, at most one per user per second from this node.
func (m *Module) typing(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatRoomRequest
	if werr := decodeRoom(wire.MethodChatTyping, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	a := c.actor(req.Room)
	now := m.now()
	r := m.room(req.Room)
	r.mu.Lock()
	last := r.typing[a.User]
	throttled := now.Sub(last) < time.Second
	var werr *wire.Error
	if !throttled {
		if err := m.catchUp(ctx, r); err != nil {
			r.mu.Unlock()
			return nil, err
		}
		werr = r.state.MayWrite(a, now)
		if werr == nil {
			r.typing[a.User] = now
			if len(r.typing) > 10000 {
				r.typing = map[string]time.Time{}
			}
		}
	}
	r.mu.Unlock()
	if werr != nil {
		return nil, werr
	}
	if throttled {
		return wire.ChatOK{OK: true}, nil
	}
	ev, _ := json.Marshal(wire.ChatTyping{Type: "typing", User: a.User, Until: now.Add(m.cfg.Chat.TypingTTL).UnixMilli()})
	if _, werr := m.host.Publish(ctx, wire.TypingChannel(req.Room), ev, ""); werr != nil {
		return nil, werr
	}
	return wire.ChatOK{OK: true}, nil
}
