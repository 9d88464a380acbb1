package module

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// APIMethod serves one server API method: the JSON body in, a value to
// encode out.
type APIMethod func(ctx context.Context, body []byte) (any, *wire.Error)

// APIMethods returns the chat's server API methods (POST /api/chat_send,
// …). Each takes the body of its RPC method plus "as": the user the
// backend acts for (required where a user acts: send, edit, delete,
// react, report), or the moderator it acts as (moderate, settings, queue,
// audit, state; omitted: the backend itself, with every right). A user's
// roles are those the room granted and those their token last showed.
// Every rule of the RPC path applies: a banned user is refused here too.
func (m *Module) APIMethods() map[string]APIMethod {
	userRequired := map[string]bool{
		wire.MethodChatSend: true, wire.MethodChatEdit: true, wire.MethodChatDelete: true,
		wire.MethodChatReact: true, wire.MethodChatReport: true,
	}
	out := map[string]APIMethod{}
	for method, h := range m.handlers() {
		if method == wire.MethodChatTyping {
			continue // typing is for people at a keyboard
		}
		name := strings.ReplaceAll(method, ".", "_")
		out[name] = func(ctx context.Context, body []byte) (any, *wire.Error) {
			user, rest, werr := splitUser(name, body)
			if werr != nil {
				return nil, werr
			}
			if user == "" && userRequired[method] {
				return nil, wire.Errorf(wire.CodeBadRequest, false, "%s: give the user to act for (\"as\")", name)
			}
			c := caller{user: user, server: true}
			if user != "" {
				c.roles = m.knownRoles(ctx, user)
			}
			res, err := h(ctx, c, rest)
			if err != nil {
				var we *wire.Error
				if errors.As(err, &we) {
					return nil, we
				}
				if we := hub.StoreFailedError(err); we != nil {
					return nil, we
				}
				m.log.Error("chat API method failed", "method", name, "err", err)
				return nil, wire.Errorf(wire.CodeInternal, true, "internal error in %s; retry", name)
			}
			return res, nil
		}
	}
	return out
}

// splitUser takes "as" out of an API body and returns the rest: the
// payload of the matching RPC method.
func splitUser(method string, body []byte) (string, []byte, *wire.Error) {
	var fields map[string]json.RawMessage
	if problem := wire.DecodeStrict(body, &fields, nil); problem != "" {
		return "", nil, wire.Errorf(wire.CodeBadRequest, false, "%s: invalid request body: %s", method, problem)
	}
	if fields == nil {
		return "", nil, wire.Errorf(wire.CodeBadRequest, false, "%s: the body must be a JSON object; got null", method)
	}
	const key = "as"
	var user string
	if raw, ok := fields[key]; ok {
		if err := json.Unmarshal(raw, &user); err != nil {
			return "", nil, wire.Errorf(wire.CodeBadRequest, false, "%s: %q must be a string", method, key)
		}
		if err := wire.ValidateUserID(user); err != nil && user != "" {
			return "", nil, wire.Errorf(wire.CodeBadRequest, false, "%s: %q: %s", method, key, err.Error())
		}
		delete(fields, key)
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return "", nil, wire.Errorf(wire.CodeBadRequest, false, "%s: %s", method, err.Error())
	}
	return user, rest, nil
}
