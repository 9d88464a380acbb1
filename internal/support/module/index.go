package module

import (
	"context"
	"encoding/json"
	"errors"
	"sort"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// The key-value bucket "support" holds:
//
//	conv.<id>     the conversation's summary (JSON), for lists
//	q.<id>        present while the conversation is open: the queue
//	open.<user>   the user's open conversation (one per user): {"id", "at"}
//	opens.<user>  when the user opened conversations within the open window
//	name.<user>   the display name the user last used with support
//
// Summaries are written compare-and-set by offset, so an older summary
// never replaces a newer one when nodes race.
const bucket = "support"

// defaultMaxScan bounds how many summaries one list reads
// (Config.MaxScan).
const defaultMaxScan = 10000

func convKey(id string) string   { return hub.KVKey("conv", id) }
func queueKey(id string) string  { return hub.KVKey("q", id) }
func openKey(user string) string { return hub.KVKey("open", user) }

// indexed records a conversation's new summary: the list entry, the
// queue entry, the user's open conversation, and a queue event for the
// agents — the last only when this summary is the newest stored.
func (m *Module) indexed(ctx context.Context, sum wire.SupportConversation) {
	newer, err := m.putSummary(ctx, sum)
	if err != nil {
		m.log.Error("support index not updated; it is repaired at the conversation's next change", "conversation", sum.ID, "err", err)
		return
	}
	if !newer {
		return
	}
	if sum.Status == wire.StatusResolved {
		if err := m.store.KVDelete(ctx, bucket, queueKey(sum.ID)); err != nil {
			m.log.Error("resolved conversation not taken off the queue", "conversation", sum.ID, "err", err)
		}
		if err := m.dropOpen(ctx, sum.User, sum.ID); err != nil {
			m.log.Error("resolved conversation still marked open", "conversation", sum.ID, "err", err)
		}
	} else if _, err := m.store.KVPut(ctx, bucket, queueKey(sum.ID), []byte("1")); err != nil {
		m.log.Error("conversation not queued", "conversation", sum.ID, "err", err)
	}
	m.appendTo(ctx, wire.SupportQueueChannel, wire.SupportQueueEvent{Type: "conversation", Conversation: m.named(ctx, sum)})
}

// putSummary stores sum unless a summary at the same or a later offset is
// stored already; it reports whether it stored it.
func (m *Module) putSummary(ctx context.Context, sum wire.SupportConversation) (bool, error) {
	data, err := json.Marshal(sum)
	if err != nil {
		return false, err
	}
	key := convKey(sum.ID)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		raw, rev, err := m.store.KVGet(ctx, bucket, key)
		switch {
		case errors.Is(err, hub.ErrKeyNotFound):
			_, err = m.store.KVCreate(ctx, bucket, key, data)
		case err != nil:
			return false, err
		default:
			var old wire.SupportConversation
			if json.Unmarshal(raw, &old) == nil && old.Offset >= sum.Offset {
				return false, nil
			}
			_, err = m.store.KVUpdate(ctx, bucket, key, data, rev)
		}
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, hub.ErrKeyExists) && !errors.Is(err, hub.ErrRevisionMoved) {
			return false, err
		}
	}
	return false, errors.New("too many concurrent writers")
}

// summaries reads the summaries stored under the keys matching filter:
// of the MaxScan most recently written keys. The bucket lists keys
// oldest write first, so the first MaxScan of them would be the
// conversations that changed longest ago, and a busy deployment's new
// conversations would never be read.
func (m *Module) summaries(ctx context.Context, filter string, idOf func(key string) string) ([]wire.SupportConversation, error) {
	keys, err := m.store.KVKeys(ctx, bucket, filter, 0)
	if err != nil {
		return nil, err
	}
	if over := len(keys) - m.cfg.MaxScan; over > 0 {
		keys = keys[over:]
	}
	out := make([]wire.SupportConversation, 0, len(keys))
	for _, k := range keys {
		raw, _, err := m.store.KVGet(ctx, bucket, convKey(idOf(k)))
		if errors.Is(err, hub.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var s wire.SupportConversation
		if json.Unmarshal(raw, &s) == nil && s.ID != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

func lastPart(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '.' {
			return key[i+1:]
		}
	}
	return key
}

// queue lists the open conversations: waiting ones first, oldest first,
// then claimed ones; each with names and whether its user is connected.
func (m *Module) queue(ctx context.Context) (wire.SupportQueue, error) {
	list, err := m.summaries(ctx, "q.*", lastPart)
	if err != nil {
		return wire.SupportQueue{}, engineErr("queue", err)
	}
	open := list[:0]
	for _, s := range list {
		if s.Status != wire.StatusResolved {
			open = append(open, s)
			continue
		}
		// A resolution whose queue entry is left: an earlier change's
		// index write, on another node, put it back after the resolution
		// removed it. Remove it, so it is not read again on every queue.
		if err := m.store.KVDelete(ctx, bucket, queueKey(s.ID)); err != nil {
			m.log.Info("resolved conversation not taken off the queue", "conversation", s.ID, "err", err)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		a, b := open[i], open[j]
		if (a.Status == wire.StatusQueued) != (b.Status == wire.StatusQueued) {
			return a.Status == wire.StatusQueued
		}
		at, bt := a.ClaimedAt, b.ClaimedAt
		if a.Status == wire.StatusQueued {
			at, bt = a.OpenedAt, b.OpenedAt
		}
		if at != bt {
			return at < bt
		}
		return a.ID < b.ID // the same millisecond: the same order on every read
	})
	for i := range open {
		open[i] = m.named(ctx, open[i])
		online := m.online(ctx, open[i])
		open[i].Online = &online
	}
	return wire.SupportQueue{Conversations: open}, nil
}

// list answers support_list: conversations newest first, filtered.
func (m *Module) list(ctx context.Context, req wire.SupportListRequest) (wire.SupportList, error) {
	filter := "conv.*"
	switch req.Status {
	case "open", wire.StatusQueued, wire.StatusClaimed:
		filter = "q.*" // only open conversations have a queue key
	}
	all, err := m.summaries(ctx, filter, lastPart)
	if err != nil {
		return wire.SupportList{}, engineErr("list", err)
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	out := []wire.SupportConversation{}
	sort.Slice(all, func(i, j int) bool { return all[i].OpenedAt > all[j].OpenedAt })
	for _, s := range all {
		switch {
		case req.Status == "open" && s.Status == wire.StatusResolved,
			req.Status != "" && req.Status != "open" && s.Status != req.Status,
			req.User != "" && s.User != req.User,
			req.Agent != "" && s.Agent != req.Agent,
			req.Room != "" && s.Room != req.Room:
			continue
		}
		out = append(out, m.named(ctx, s))
		if len(out) == limit {
			break
		}
	}
	return wire.SupportList{Conversations: out}, nil
}

// online reports whether the conversation's user is subscribed to it now.
func (m *Module) online(ctx context.Context, s wire.SupportConversation) bool {
	pres, _, werr := m.host.Presence(ctx, wire.SupportChannel(s.ID))
	if werr != nil {
		return false
	}
	for _, p := range pres {
		if p.User == s.User {
			return true
		}
	}
	return false
}
