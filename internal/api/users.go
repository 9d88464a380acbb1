package api

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// WithUsers adds the methods that act on users through the account
// service's guard and sessions — for apps with their own login (block,
// unblock, revoke every token issued before a moment) and for liveroom
// accounts (revoke sessions, set a role):
//
//	block_user       {"user", "reason"}          → {}
//	unblock_user     {"user"}                    → {}
//	revoke_tokens    {"user", "before"}          → {"revoked_before": unix s}
//	user_status      {"user"}                    → {"blocked", "blocked_reason", "revoked_before", "deleted"}
//	revoke_sessions  {"user", "session"}         → {"revoked": n}
//	set_role         {"user", "role"}            → {"user": profile}
//
// It returns a for chaining.
func (a *Handler) WithUsers(svc *account.Service) *Handler {
	a.users = svc
	a.methods["block_user"] = a.blockUser
	a.methods["unblock_user"] = a.unblockUser
	a.methods["revoke_tokens"] = a.revokeTokens
	a.methods["user_status"] = a.userStatus
	a.methods["revoke_sessions"] = a.revokeSessions
	a.methods["set_role"] = a.setRole
	return a
}

// The user methods' bodies. Each method has its own type, so a field
// only another method reads (a "before" sent to block_user) is unknown and
// refused rather than silently ignored.

// UserOnlyRequest is the body of unblock_user and user_status.
type UserOnlyRequest struct {
	User string `json:"user"`
}

// BlockUserRequest is the body of block_user.
type BlockUserRequest struct {
	User string `json:"user"`
	// Reason is shown to the blocked user (at most 80 bytes).
	Reason string `json:"reason,omitempty"`
}

// RevokeTokensRequest is the body of revoke_tokens.
type RevokeTokensRequest struct {
	User string `json:"user"`
	// Before is a Unix time in seconds: tokens issued before it are
	// refused. 0 or absent means now.
	Before int64 `json:"before,omitempty"`
}

// RevokeSessionsRequest is the body of revoke_sessions.
type RevokeSessionsRequest struct {
	User string `json:"user"`
	// Session is one session id; absent means all.
	Session string `json:"session,omitempty"`
}

// SetRoleRequest is the body of set_role.
type SetRoleRequest struct {
	User string `json:"user"`
	// Role is user, moderator, agent or admin.
	Role account.Role `json:"role"`
}

func (r UserOnlyRequest) userID() string       { return r.User }
func (r BlockUserRequest) userID() string      { return r.User }
func (r RevokeTokensRequest) userID() string   { return r.User }
func (r RevokeSessionsRequest) userID() string { return r.User }
func (r SetRoleRequest) userID() string        { return r.User }

// userRequest decodes a user method's body and checks that it names a user.
func userRequest[T interface{ userID() string }](body []byte) (T, *wire.Error) {
	var req T
	if werr := decode(body, &req); werr != nil {
		return req, werr
	}
	if req.userID() == "" {
		return req, wire.Errorf(wire.CodeBadRequest, false, "user is required")
	}
	return req, nil
}

// userErr turns an account service error into a wire error.
func (a *Handler) userErr(err error) *wire.Error {
	var e *account.Error
	if errors.As(err, &e) {
		return &e.Wire
	}
	if we := hub.StoreFailedError(err); we != nil {
		return we
	}
	a.log.Error("user method failed", "err", err)
	return wire.Errorf(wire.CodeInternal, true, "could not reach the account store; retry")
}

func (a *Handler) blockUser(ctx context.Context, body []byte) (any, *wire.Error) {
	req, werr := userRequest[BlockUserRequest](body)
	if werr != nil {
		return nil, werr
	}
	if err := a.users.Block(ctx, req.User, req.Reason); err != nil {
		return nil, a.userErr(err)
	}
	return struct{}{}, nil
}

func (a *Handler) unblockUser(ctx context.Context, body []byte) (any, *wire.Error) {
	req, werr := userRequest[UserOnlyRequest](body)
	if werr != nil {
		return nil, werr
	}
	if err := a.users.Unblock(ctx, req.User); err != nil {
		return nil, a.userErr(err)
	}
	return struct{}{}, nil
}

// maxUnixSeconds is the latest Unix time time.Unix holds without wrapping
// around (Go counts seconds from the year 1 in an int64).
const maxUnixSeconds = math.MaxInt64 - 62135596800

func (a *Handler) revokeTokens(ctx context.Context, body []byte) (any, *wire.Error) {
	req, werr := userRequest[RevokeTokensRequest](body)
	if werr != nil {
		return nil, werr
	}
	var before time.Time
	if req.Before < 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "before must be a Unix time in seconds")
	}
	if req.Before > maxUnixSeconds {
		// time.Unix would wrap such a value around to year 1, and the
		// call would answer 200 having revoked nothing.
		return nil, wire.Errorf(wire.CodeBadRequest, false,
			"before %d is out of range; give a Unix time in seconds, at most a minute ahead of the server's clock", req.Before)
	}
	if req.Before > 0 {
		before = time.Unix(req.Before, 0)
	}
	at, err := a.users.RevokeTokens(ctx, req.User, before)
	if err != nil {
		return nil, a.userErr(err)
	}
	return map[string]int64{"revoked_before": at.Unix()}, nil
}

func (a *Handler) userStatus(ctx context.Context, body []byte) (any, *wire.Error) {
	req, werr := userRequest[UserOnlyRequest](body)
	if werr != nil {
		return nil, werr
	}
	st, err := a.users.Status(ctx, req.User)
	if err != nil {
		return nil, a.userErr(err)
	}
	out := map[string]any{"blocked": st.Blocked, "deleted": st.Deleted}
	if st.BlockedReason != "" {
		out["blocked_reason"] = st.BlockedReason
	}
	if !st.RevokedBefore.IsZero() {
		out["revoked_before"] = st.RevokedBefore.Unix()
	}
	return out, nil
}

func (a *Handler) revokeSessions(ctx context.Context, body []byte) (any, *wire.Error) {
	req, werr := userRequest[RevokeSessionsRequest](body)
	if werr != nil {
		return nil, werr
	}
	if req.Session != "" {
		if err := a.users.RevokeSession(ctx, req.User, req.Session); err != nil {
			return nil, a.userErr(err)
		}
		return map[string]int{"revoked": 1}, nil
	}
	n, err := a.users.RevokeAll(ctx, req.User)
	if err != nil {
		return nil, a.userErr(err)
	}
	return map[string]int{"revoked": n}, nil
}

func (a *Handler) setRole(ctx context.Context, body []byte) (any, *wire.Error) {
	req, werr := userRequest[SetRoleRequest](body)
	if werr != nil {
		return nil, werr
	}
	p, err := a.users.SetRole(ctx, req.User, req.Role)
	if err != nil {
		return nil, a.userErr(err)
	}
	return map[string]any{"user": p}, nil
}
