package accountapi

import (
	"net/http"

	"github.com/liveroom-dev/liveroom/internal/auth/account"
	"github.com/liveroom-dev/liveroom/wire"
)

func (h *Handler) me(w http.ResponseWriter, r *http.Request, p account.Principal, _ []byte) {
	prof, err := h.acc.Me(r.Context(), p)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": prof, "session": p.Session})
}

func (h *Handler) rename(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte) {
	var req struct {
		Name string `json:"name"`
	}
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	prof, err := h.acc.Rename(r.Context(), p, req.Name)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": prof})
}

func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	prof, err := h.acc.Upgrade(r.Context(), p, req.Email, req.Password, client(r, ""))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": prof})
}

func (h *Handler) password(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte) {
	var req struct {
		Current   string `json:"current_password"`
		New       string `json:"new_password"`
		EndOthers bool   `json:"end_other_sessions"`
	}
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	n, err := h.acc.ChangePassword(r.Context(), p, req.Current, req.New, req.EndOthers, client(r, ""))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ended_sessions": n})
}

func (h *Handler) sessions(w http.ResponseWriter, r *http.Request, p account.Principal, _ []byte) {
	list, err := h.acc.Sessions(r.Context(), p)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte) {
	var req struct {
		Session string `json:"session,omitempty"`
		Others  bool   `json:"others,omitempty"`
	}
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	switch {
	case req.Others && req.Session == "":
		n, err := h.acc.RevokeOthers(r.Context(), p)
		if err != nil {
			h.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	case req.Session != "" && !req.Others:
		if err := h.acc.Revoke(r.Context(), p, req.Session); err != nil {
			h.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"revoked": 1})
	default:
		writeError(w, refusal(wire.CodeBadRequest, `send {"session": "<id>"} or {"others": true}`))
	}
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request, p account.Principal, _ []byte) {
	data, err := h.acc.Export(r.Context(), p)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="liveroom-account.json"`)
	writeJSON(w, http.StatusOK, data)
}

func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte) {
	var req struct {
		Password string `json:"password,omitempty"`
	}
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	if err := h.acc.Delete(r.Context(), p, req.Password, client(r, "")); err != nil {
		h.fail(w, err)
		return
	}
	clearCookie(w)
	writeJSON(w, http.StatusOK, struct{}{})
}

func (h *Handler) profile(w http.ResponseWriter, r *http.Request, _ account.Principal, _ []byte) {
	id := r.URL.Query().Get("user")
	if id == "" {
		writeError(w, refusal(wire.CodeBadRequest, "give ?user=<id>"))
		return
	}
	prof, err := h.acc.ProfileOf(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": prof})
}

func (h *Handler) adminRevoke(w http.ResponseWriter, r *http.Request, p account.Principal, body []byte) {
	if p.Role != account.RoleAdmin {
		writeError(w, refusal(wire.CodePermissionDenied, "only admins may end other users' sessions"))
		return
	}
	var req struct {
		User    string `json:"user"`
		Session string `json:"session,omitempty"`
	}
	if e := decode(body, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.User == "" {
		writeError(w, refusal(wire.CodeBadRequest, "user is required"))
		return
	}
	if req.Session != "" {
		if err := h.acc.RevokeSession(r.Context(), req.User, req.Session); err != nil {
			h.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"revoked": 1})
		return
	}
	n, err := h.acc.RevokeAll(r.Context(), req.User)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}
