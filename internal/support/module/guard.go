package module

import (
	"context"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// The guards keep support's rules on every path into its channels: a
// client subscribe, a channel of the connection token, a subscribe
// through the server API, history and presence reads, and publishes
// (refused: only support writes these channels).

func accessActor(a hub.Access) support.Actor {
	return caller{user: a.User, client: a.Client, roles: a.Roles, server: a.Server}.actor()
}

func refusePublish(channel string) *wire.Error {
	return wire.Errorf(wire.CodePermissionDenied, false, "%q is written only by support chat: use the support.* methods", channel)
}

// canRead decides access to a conversation's channels: its user, the
// agent who claimed it, and the server API. A failure to read its state
// refuses the access with a temporary error.
func (m *Module) canRead(ctx context.Context, a hub.Access) *wire.Error {
	if a.Server {
		return nil
	}
	_, id, _ := strings.Cut(a.Channel, ":")
	if err := wire.ValidateConversationID(id); err != nil {
		return wire.Errorf(wire.CodeBadRequest, false, "%s", err.Error())
	}
	var werr *wire.Error
	err := m.view(ctx, id, func(s *support.Conversation) error {
		werr = s.CanRead(accessActor(a))
		return nil
	})
	if err != nil {
		m.log.Warn("support guard could not read the conversation", "conversation", id, "err", err)
		return wire.Errorf(wire.CodeInternal, true, "access to conversation %q cannot be checked right now; retry", id)
	}
	return werr
}

// guardConversation: support:<id> is private to its user and agent and
// written only through support.* (its events are the transcript).
func (m *Module) guardConversation(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op == hub.AccessPublish {
		return refusePublish(a.Channel)
	}
	return m.canRead(ctx, a)
}

// guardTyping: supporttyping:<id> is read like the conversation; only
// the module publishes there (through the server path, after
// support.typing checked the author).
func (m *Module) guardTyping(ctx context.Context, a hub.Access) *wire.Error {
	if a.Op == hub.AccessPublish {
		if a.Server {
			return nil
		}
		return refusePublish(a.Channel)
	}
	return m.canRead(ctx, a)
}

// guardQueue: only agents (and the server API) follow the queue.
func (m *Module) guardQueue(_ context.Context, a hub.Access) *wire.Error {
	switch {
	case a.Op == hub.AccessPublish:
		return refusePublish(a.Channel)
	case a.Server, a.User != "" && wire.SupportAgent(a.Roles):
		return nil
	}
	return notAgent()
}

// GuardAudit decides access to a room's support audit log, channel
// audit:support.<room>: agents and the room's moderators read it (who
// opened, claimed, handed back and resolved which conversation — never
// what was said); nobody publishes to it.
func (m *Module) GuardAudit(ctx context.Context, a hub.Access) *wire.Error {
	_, rest, _ := strings.Cut(a.Channel, ":")
	room := strings.TrimPrefix(rest, "support.")
	switch {
	case a.Op == hub.AccessPublish:
		return refusePublish(a.Channel)
	case a.Server, a.User != "" && wire.SupportAgent(a.Roles):
		return nil
	case a.User != "" && m.roomModerator(ctx, a, room):
		return nil
	}
	return wire.Errorf(wire.CodePermissionDenied, false, "the support audit log of room %q is for support agents and the room's moderators", room)
}

func (m *Module) roomModerator(ctx context.Context, a hub.Access, room string) bool {
	if m.cfg.RoomModerator != nil {
		return m.cfg.RoomModerator(ctx, a, room)
	}
	roles := a.Roles.For(wire.ChatChannel(room))
	return wire.HasRole(roles, wire.RoleModerator) || wire.HasRole(roles, wire.RoleOwner)
}
