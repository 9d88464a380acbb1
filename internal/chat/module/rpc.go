package module

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// caller is who calls a chat method: a connection (RPC) or the server API,
// acting for itself or on a user's behalf.
type caller struct {
	user   string     // "" for anonymous connections and the API acting for itself
	client string     // connection id
	roles  wire.Roles // token roles (RPC) or the user's last known ones (API)
	info   []byte     // token info (RPC)
	server bool       // the server API
}

// actor is the caller as the state machine sees it in one room.
func (c caller) actor(room string) chat.Actor {
	switch {
	case c.server && c.user == "":
		return chat.Actor{Server: true}
	case c.user == "":
		return chat.Actor{User: "guest:" + c.client, Guest: true}
	}
	return chat.Actor{User: c.user, Roles: c.roles.For(wire.ChatChannel(room))}
}

type handler func(ctx context.Context, c caller, data []byte) (any, error)

func (m *Module) handlers() map[string]handler {
	return map[string]handler{
		wire.MethodChatSend:     m.send,
		wire.MethodChatEdit:     m.edit,
		wire.MethodChatDelete:   m.delete,
		wire.MethodChatReact:    m.react,
		wire.MethodChatTyping:   m.typing,
		wire.MethodChatReport:   m.report,
		wire.MethodChatState:    m.state,
		wire.MethodChatProfiles: m.profilesOf,
		wire.MethodChatModerate: m.moderate,
		wire.MethodChatSettings: m.settings,
		wire.MethodChatQueue:    m.queue,
		wire.MethodChatAudit:    m.auditLog,
	}
}

// rpcMethods adapts the handlers to the hub's RPC calls.
func (m *Module) rpcMethods() map[string]hub.RPCHandler {
	out := map[string]hub.RPCHandler{}
	for name, h := range m.handlers() {
		out[name] = func(ctx context.Context, call hub.RPCCall) ([]byte, error) {
			if werr := listedRoom(name, call); werr != nil {
				return nil, werr
			}
			c := caller{user: call.User, client: call.ClientID, roles: call.Roles, info: call.Info}
			if err := wire.ValidateUserID(c.user); err != nil && c.user != "" {
				// Such an id would print as another user in the room, and
				// moderators could not name it to act on it.
				return nil, wire.Errorf(wire.CodeBadRequest, false, "%s: refused for your connection token's %s; the site must issue you a token with a plain user id", name, err.Error())
			}
			if c.user != "" {
				m.profiles.seen(ctx, m, c.user, c.info, c.roles)
			}
			res, err := h(ctx, c, call.Data)
			if err != nil {
				return nil, err
			}
			return json.Marshal(res)
		}
	}
	return out
}

// listedRoom refuses a chat method for a connection whose token lists its
// channels (docs/protocol.md) unless the room's channel, chat:<room>, is
// listed: every chat method acts on one room. The room is read leniently
// here; the handler's strict decoding refuses what is malformed.
func listedRoom(method string, call hub.RPCCall) *wire.Error {
	if call.Listed == nil {
		return nil
	}
	var head struct {
		Room string `json:"room"`
	}
	_ = json.Unmarshal(call.Data, &head)
	if channel := wire.ChatChannel(head.Room); !call.Listed(channel) {
		return wire.Errorf(wire.CodePermissionDenied, false,
			"%s: channel %q is not in this connection's token channel list", method, channel)
	}
	return nil
}

// decode reads a request strictly (wire.DecodeStrict): one JSON object,
// no unknown fields, so a typo fails loudly instead of being ignored.
func decode(method string, data []byte, v any) *wire.Error {
	if problem := wire.DecodeStrict(data, v, nil); problem != "" {
		return wire.Errorf(wire.CodeBadRequest, false, "%s: invalid payload: %s; see docs/chat.md", method, problem)
	}
	return nil
}

func checkRoom(method, room string) *wire.Error {
	if err := wire.ValidateRoom(room); err != nil {
		return wire.Errorf(wire.CodeBadRequest, false, "%s: %s", method, err.Error())
	}
	return nil
}

// newID is a random id for a message or a report: 12 base32 characters.
func newID() string { return strings.ToLower(rand.Text()[:12]) }

func (m *Module) send(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatSendRequest
	if werr := decodeRoom(wire.MethodChatSend, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	d, err := m.exec(ctx, req.Room, chat.Send{Actor: c.actor(req.Room), NewID: newID(), Text: req.Text, CID: req.CID, ReplyTo: req.ReplyTo})
	return d.Reply, err
}

func (m *Module) edit(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatEditRequest
	if werr := decodeRoom(wire.MethodChatEdit, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	d, err := m.exec(ctx, req.Room, chat.Edit{Actor: c.actor(req.Room), ID: req.ID, Text: req.Text})
	return d.Reply, err
}

func (m *Module) delete(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatDeleteRequest
	if werr := decodeRoom(wire.MethodChatDelete, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	cmd := chat.Delete{Actor: c.actor(req.Room), ID: req.ID, Reason: req.Reason}
	d, err := m.exec(ctx, req.Room, cmd)
	d, err = m.withOld(ctx, req.Room, req.ID, d, err, func(old *chat.OldMessage) (chat.Decision, error) {
		cmd.Old = old
		return m.exec(ctx, req.Room, cmd)
	})
	return d.Reply, err
}

func (m *Module) react(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatReactRequest
	if werr := decodeRoom(wire.MethodChatReact, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	d, err := m.exec(ctx, req.Room, chat.React{Actor: c.actor(req.Room), ID: req.ID, Emoji: req.Emoji, On: req.On})
	return d.Reply, err
}

func (m *Module) report(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatReportRequest
	if werr := decodeRoom(wire.MethodChatReport, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	d, err := m.exec(ctx, req.Room, chat.Report{Actor: c.actor(req.Room), NewID: newID(), ID: req.ID, Reported: req.User, Reason: req.Reason})
	return d.Reply, err
}

func (m *Module) moderate(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatModerateRequest
	if werr := decodeRoom(wire.MethodChatModerate, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	cmd := chat.Moderate{Actor: c.actor(req.Room), Action: req.Action, ID: req.ID, Subject: req.User, Seconds: req.Seconds,
		Reason: req.Reason, Role: req.Role, Target: req.Target, Outcome: req.Outcome}
	if req.User != "" {
		cmd.SubjectRoles = m.knownRoles(ctx, req.User).For(wire.ChatChannel(req.Room))
	}
	d, err := m.exec(ctx, req.Room, cmd)
	if req.Action == wire.ActDelete {
		d, err = m.withOld(ctx, req.Room, req.ID, d, err, func(old *chat.OldMessage) (chat.Decision, error) {
			cmd.Old = old
			return m.exec(ctx, req.Room, cmd)
		})
	}
	return d.Reply, err
}

// decodeRoom decodes a request and checks its room id.
func decodeRoom(method string, data []byte, v any, room *string) *wire.Error {
	if werr := decode(method, data, v); werr != nil {
		return werr
	}
	return checkRoom(method, *room)
}
