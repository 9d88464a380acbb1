package module

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// caller is who calls a support method: a connection (RPC) or the server
// API acting for the backend.
type caller struct {
	user   string // "" for anonymous connections and the server API
	client string
	roles  wire.Roles
	server bool
}

func (c caller) actor() support.Actor {
	if c.server {
		return support.Actor{Server: true}
	}
	return support.Actor{User: c.user, Guest: c.user == "", Agent: c.user != "" && wire.SupportAgent(c.roles)}
}

type handler func(ctx context.Context, c caller, data []byte) (any, error)

func (m *Module) handlers() map[string]handler {
	return map[string]handler{
		wire.MethodSupportOpen:       m.open,
		wire.MethodSupportCurrent:    m.current,
		wire.MethodSupportSend:       m.send,
		wire.MethodSupportTyping:     m.typingCmd,
		wire.MethodSupportClaim:      m.simple(wire.MethodSupportClaim, func(a support.Actor) support.Command { return support.Claim{Actor: a} }),
		wire.MethodSupportRelease:    m.simple(wire.MethodSupportRelease, func(a support.Actor) support.Command { return support.Release{Actor: a} }),
		wire.MethodSupportResolve:    m.resolve,
		wire.MethodSupportQueue:      m.queueCmd,
		wire.MethodSupportTranscript: m.transcriptCmd,
		wire.MethodSupportNames:      m.namesCmd,
	}
}

// RPCMethods returns support's RPC methods by name, as Register adds
// them to the hub (a second module on the same hub stands for another
// node in tests).
func (m *Module) RPCMethods() map[string]hub.RPCHandler {
	out := map[string]hub.RPCHandler{}
	for name, h := range m.handlers() {
		out[name] = func(ctx context.Context, call hub.RPCCall) ([]byte, error) {
			if call.Listed != nil {
				// A conversation's channels are made when it opens, so no
				// token can list them: a connection limited to its token's
				// channels has no support.
				return nil, wire.Errorf(wire.CodePermissionDenied, false,
					"%s: this connection's token lists the channels it may use, and support conversations are not among them; support needs a token without a channel list", name)
			}
			c := caller{user: call.User, client: call.ClientID, roles: call.Roles}
			if c.user != "" && name != wire.MethodSupportTyping {
				m.noteName(ctx, c.user, call.Info)
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

// decode reads a request strictly (wire.DecodeStrict): one JSON object,
// no unknown fields, so a typo fails loudly instead of being ignored.
func decode(method string, data []byte, v any) *wire.Error {
	if problem := wire.DecodeStrict(data, v, nil); problem != "" {
		return wire.Errorf(wire.CodeBadRequest, false, "%s: invalid payload: %s; see docs/support.md", method, problem)
	}
	return nil
}

// decodeID decodes a request and checks its conversation id.
func decodeID(method string, data []byte, v any, id *string) *wire.Error {
	if werr := decode(method, data, v); werr != nil {
		return werr
	}
	if err := wire.ValidateConversationID(*id); err != nil {
		return wire.Errorf(wire.CodeBadRequest, false, "%s: %s", method, err.Error())
	}
	return nil
}

// newID is a random id for a conversation or a message: 12 characters of
// a–z and 2–7 (60 bits).
func newID() string { return strings.ToLower(rand.Text()[:12]) }

// answer is the reply of a decision: its own, or the summary with names.
func (m *Module) answer(ctx context.Context, d support.Decision, sum wire.SupportConversation) any {
	if d.Reply != nil {
		return d.Reply
	}
	return m.named(ctx, sum)
}

// simple serves the methods that take only a conversation id.
func (m *Module) simple(method string, cmd func(support.Actor) support.Command) handler {
	return func(ctx context.Context, c caller, data []byte) (any, error) {
		var req wire.SupportIDRequest
		if werr := decodeID(method, data, &req, &req.ID); werr != nil {
			return nil, werr
		}
		d, sum, err := m.exec(ctx, req.ID, cmd(c.actor()))
		if err != nil {
			return nil, err
		}
		return m.answer(ctx, d, sum), nil
	}
}

func (m *Module) send(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.SupportSendRequest
	if werr := decodeID(wire.MethodSupportSend, data, &req, &req.ID); werr != nil {
		return nil, werr
	}
	d, _, err := m.exec(ctx, req.ID, support.Send{Actor: c.actor(), NewID: newID(), Text: req.Text, CID: req.CID})
	if err != nil {
		return nil, err
	}
	return d.Reply, nil
}

func (m *Module) typingCmd(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.SupportIDRequest
	if werr := decodeID(wire.MethodSupportTyping, data, &req, &req.ID); werr != nil {
		return nil, werr
	}
	d, _, err := m.exec(ctx, req.ID, support.Typing{Actor: c.actor()})
	if err != nil {
		return nil, err
	}
	return d.Reply, nil
}

func (m *Module) resolve(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.SupportResolveRequest
	if werr := decodeID(wire.MethodSupportResolve, data, &req, &req.ID); werr != nil {
		return nil, werr
	}
	d, sum, err := m.exec(ctx, req.ID, support.Resolve{Actor: c.actor(), Outcome: req.Outcome, Note: req.Note})
	if err != nil {
		return nil, err
	}
	return m.answer(ctx, d, sum), nil
}

func notAgent() *wire.Error {
	return wire.Errorf(wire.CodePermissionDenied, false, "only support agents see the queue (the token's roles need \"agent\" in %q)", wire.SupportScope)
}

func (m *Module) queueCmd(ctx context.Context, c caller, data []byte) (any, error) {
	var req struct{}
	if werr := decode(wire.MethodSupportQueue, data, &req); werr != nil {
		return nil, werr
	}
	if !c.server && !c.actor().Agent {
		return nil, notAgent()
	}
	return m.queue(ctx)
}

// namesCmd serves support.names: display names are shown to everyone in
// a room already, so any signed-in user may ask.
func (m *Module) namesCmd(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.SupportNamesRequest
	if werr := decode(wire.MethodSupportNames, data, &req); werr != nil {
		return nil, werr
	}
	if c.user == "" && !c.server {
		return nil, wire.Errorf(wire.CodePermissionDenied, false, "sign in to look up names")
	}
	if len(req.Users) > wire.MaxSupportNames {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "support.names: %d users; ask for at most %d at once", len(req.Users), wire.MaxSupportNames)
	}
	out := wire.SupportNamesResult{Names: map[string]string{}}
	for _, u := range req.Users {
		if name := m.nameOf(ctx, u); name != "" {
			out.Names[u] = name
		}
	}
	return out, nil
}
