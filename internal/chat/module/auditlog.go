package module

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// Audit log reads: newest first, filtered by actor and target, in pages
// (Before = the smallest offset of the previous page).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
	auditChunk        = 500
)

func (m *Module) auditLog(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.ChatAuditRequest
	if werr := decodeRoom(wire.MethodChatAudit, data, &req, &req.Room); werr != nil {
		return nil, werr
	}
	if err := m.view(ctx, req.Room, func(r *chat.Room) error {
		if !r.IsModerator(c.actor(req.Room)) {
			return notModerator(req.Room, "read its audit log")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	limit := req.Limit
	switch {
	case limit <= 0:
		limit = defaultAuditLimit
	case limit > maxAuditLimit:
		limit = maxAuditLimit
	}
	entries, err := m.readAudit(ctx, req, limit)
	if err != nil {
		return nil, err
	}
	return wire.ChatAuditResult{Entries: entries}, nil
}

func (m *Module) readAudit(ctx context.Context, req wire.ChatAuditRequest, limit int) ([]wire.AuditEntry, error) {
	ch := wire.ChatAuditChannel(req.Room)
	top, err := m.store.Top(ctx, ch)
	if err != nil {
		return nil, engineErr(req.Room, err)
	}
	hi := top.Offset // read offsets ≤ hi
	if req.Before > 0 && req.Before-1 < hi {
		hi = req.Before - 1
	}
	out := []wire.AuditEntry{}
	for hi > 0 && len(out) < limit {
		lo := uint64(0)
		if hi > auditChunk {
			lo = hi - auditChunk
		}
		w, err := m.store.Read(ctx, ch, lo, int(hi-lo))
		if errors.Is(err, hub.ErrUnrecoverable) && w.First > lo+1 && w.First <= hi {
			lo = w.First - 1
			w, err = m.store.Read(ctx, ch, lo, int(hi-lo))
		}
		if err != nil {
			if errors.Is(err, hub.ErrUnrecoverable) {
				break // older entries are no longer kept
			}
			return nil, engineErr(req.Room, err)
		}
		for i := len(w.Events) - 1; i >= 0 && len(out) < limit; i-- {
			var e wire.AuditEntry
			if json.Unmarshal(w.Events[i].Data, &e) != nil {
				continue
			}
			e.Offset = w.Events[i].Offset
			if req.Moderator != "" && e.Actor != req.Moderator || req.Target != "" && e.User != req.Target {
				continue
			}
			out = append(out, e)
		}
		hi = lo
	}
	return out, nil
}
