package module

import (
	"context"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// The guards keep the chat's rules on every path into its channels: a
// client subscribe, a channel of the connection token, a subscribe through
// the server API, history and presence reads, and publishes from clients
// or the API (refused: only the chat writes these channels).

func roomOf(channel string) string {
	_, rest, _ := strings.Cut(channel, ":")
	return rest
}

func accessCaller(a hub.Access) caller {
	return caller{user: a.User, client: a.Client, roles: a.Roles, server: a.Server}
}

func refusePublish(channel string) *wire.Error {
	return wire.Errorf(wire.CodePermissionDenied, false, "%q is written only by the chat: use the chat.* methods (or the chat_* server API)", channel)
}

// check runs fn on the room's current state; a failure to read it refuses
// the access (a temporary error): the rules cannot be checked.
func (m *Module) check(ctx context.Context, room string, fn func(*chat.Room) *wire.Error) *wire.Error {
	if err := wire.ValidateRoom(room); err != nil {
		return wire.Errorf(wire.CodeBadRequest, false, "%s", err.Error())
	}
	var werr *wire.Error
	err := m.view(ctx, room, func(r *chat.Room) error {
		werr = fn(r)
		return nil
	})
	if err != nil {
		m.log.Warn("chat guard could not read the room", "room", room, "err", err)
		return wire.Errorf(wire.CodeInternal, true, "the rules of room %q cannot be checked right now; retry", room)
	}
	return werr
}

// GuardRoom decides access to a room's channel, chat:<room>: everyone
// reads it except users banned from the room; nobody publishes to it.
// Support asks it too before attaching the room's recent messages to a
// conversation.
func (m *Module) GuardRoom(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op == hub.AccessPublish {
		return refusePublish(a.Channel)
	}
	if a.Server {
		return nil
	}
	room := roomOf(a.Channel)
	return m.check(ctx, room, func(r *chat.Room) *wire.Error { return r.CanRead(accessCaller(a).actor(room)) })
}

// guardMod: only the room's moderators (not banned) use its moderation
// channel.
func (m *Module) guardMod(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op == hub.AccessPublish {
		return refusePublish(a.Channel)
	}
	if a.Server {
		return nil
	}
	room := roomOf(a.Channel)
	return m.check(ctx, room, func(r *chat.Room) *wire.Error {
		if !r.IsModerator(accessCaller(a).actor(room)) {
			return notModerator(room, "follow its moderation channel")
		}
		return nil
	})
}

// guardTyping: typing indicators are read like the room and sent only by
// the chat (chat.typing checks that the user may write).
func (m *Module) guardTyping(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op == hub.AccessPublish {
		if a.Server {
			return nil
		}
		return refusePublish(a.Channel)
	}
	if a.Server {
		return nil
	}
	room := roomOf(a.Channel)
	return m.check(ctx, room, func(r *chat.Room) *wire.Error { return r.CanRead(accessCaller(a).actor(room)) })
}

// GuardAudit decides access to a room's audit log, channel
// audit:chat.<room>: moderators read it, nobody publishes to it.
func (m *Module) GuardAudit(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op == hub.AccessPublish {
		return refusePublish(a.Channel)
	}
	if a.Server {
		return nil
	}
	room := strings.TrimPrefix(roomOf(a.Channel), "chat.")
	return m.check(ctx, room, func(r *chat.Room) *wire.Error {
		if !r.IsModerator(accessCaller(a).actor(room)) {
			return notModerator(room, "read its audit log")
		}
		return nil
	})
}
