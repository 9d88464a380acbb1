package module

import (
	"context"
	"errors"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// APIMethod serves one server API method: the JSON body in, a value to
// encode out.
type APIMethod func(ctx context.Context, body []byte) (any, *wire.Error)

// APIMethods returns support's server API methods, which act for the
// backend with every right:
//
//	support_list        SupportListRequest → SupportList (newest first)
//	support_transcript  {"id"} → SupportTranscript
//	support_queue       {} → SupportQueue
//	support_resolve     SupportResolveRequest → SupportConversation
//	support_release     {"id"} → SupportConversation (a claim left behind)
func (m *Module) APIMethods() map[string]APIMethod {
	srv := caller{server: true}
	wrap := func(name string, h func(ctx context.Context, body []byte) (any, error)) APIMethod {
		return func(ctx context.Context, body []byte) (any, *wire.Error) {
			res, err := h(ctx, body)
			if err == nil {
				return res, nil
			}
			var we *wire.Error
			if errors.As(err, &we) {
				return nil, we
			}
			if we := hub.StoreFailedError(err); we != nil {
				return nil, we
			}
			m.log.Error("support API method failed", "method", name, "err", err)
			return nil, wire.Errorf(wire.CodeInternal, true, "internal error in %s; retry", name)
		}
	}
	return map[string]APIMethod{
		"support_list": wrap("support_list", func(ctx context.Context, body []byte) (any, error) {
			var req wire.SupportListRequest
			if werr := decode("support_list", body, &req); werr != nil {
				return nil, werr
			}
			switch req.Status {
			case "", "open", wire.StatusQueued, wire.StatusClaimed, wire.StatusResolved:
			default:
				return nil, wire.Errorf(wire.CodeBadRequest, false, "support_list: status %q is not one of open, queued, claimed, resolved", req.Status)
			}
			for key, user := range map[string]string{"user": req.User, "agent": req.Agent} {
				if err := wire.ValidateUserID(user); err != nil && user != "" {
					return nil, wire.Errorf(wire.CodeBadRequest, false, "support_list: %q: %s", key, err.Error())
				}
			}
			return m.list(ctx, req)
		}),
		"support_transcript": wrap("support_transcript", func(ctx context.Context, body []byte) (any, error) {
			var req wire.SupportIDRequest
			if werr := decodeID("support_transcript", body, &req, &req.ID); werr != nil {
				return nil, werr
			}
			return m.transcript(ctx, support.Actor{Server: true}, req.ID)
		}),
		"support_queue": wrap("support_queue", func(ctx context.Context, body []byte) (any, error) {
			return m.queueCmd(ctx, srv, body)
		}),
		"support_resolve": wrap("support_resolve", func(ctx context.Context, body []byte) (any, error) {
			return m.resolve(ctx, srv, body)
		}),
		"support_release": wrap("support_release", func(ctx context.Context, body []byte) (any, error) {
			return m.handlers()[wire.MethodSupportRelease](ctx, srv, body)
		}),
	}
}
