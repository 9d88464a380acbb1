package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
)

// opensKey holds the times (Unix ms, JSON) of the conversations a user
// opened within the open window: the per-user limit on new ones.
func opensKey(user string) string { return hub.KVKey("opens", user) }

// opensRecord is what a user's opensKey held when it was read.
type opensRecord struct {
	times    []int64
	revision uint64 // 0: no key
}

// readOpens reads the times a user opened conversations at.
func (m *Module) readOpens(ctx context.Context, user string) (opensRecord, error) {
	raw, rev, err := m.store.KVGet(ctx, bucket, opensKey(user))
	if errors.Is(err, hub.ErrKeyNotFound) {
		return opensRecord{}, nil
	}
	if err != nil {
		return opensRecord{}, fmt.Errorf("read the opens of %s: %w", user, err)
	}
	var times []int64
	_ = json.Unmarshal(raw, &times) // unreadable: start again
	return opensRecord{times: times, revision: rev}, nil
}

// mayOpen refuses a new conversation past the user's open limit (1204,
// temporary, saying how long to wait).
func (m *Module) mayOpen(ctx context.Context, user string) error {
	if m.cfg.Support.OpenRate <= 0 {
		return nil
	}
	rec, err := m.readOpens(ctx, user)
	if err != nil {
		return engineErr("open", err)
	}
	return support.OpenAllowed(&m.cfg.Support, rec.times, m.now())
}

// noteOpen records that the user opened a conversation now, compare-and-
// set so that opens on several nodes are all counted. A failure is
// logged: the conversation is open, only the limit undercounts.
func (m *Module) noteOpen(ctx context.Context, user string) {
	if m.cfg.Support.OpenRate <= 0 {
		return
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		rec, err := m.readOpens(ctx, user)
		if err != nil {
			m.log.Error("a new conversation was not counted against its user's limit", "user", user, "err", err)
			return
		}
		now := m.now()
		data, _ := json.Marshal(append(support.RecentOpens(&m.cfg.Support, rec.times, now), now.UnixMilli()))
		if rec.revision == 0 {
			_, err = m.store.KVCreate(ctx, bucket, opensKey(user), data)
		} else {
			_, err = m.store.KVUpdate(ctx, bucket, opensKey(user), data, rec.revision)
		}
		if err == nil {
			return
		}
		if !errors.Is(err, hub.ErrKeyExists) && !errors.Is(err, hub.ErrRevisionMoved) {
			m.log.Error("a new conversation was not counted against its user's limit", "user", user, "err", err)
			return
		}
	}
	m.log.Error("a new conversation was not counted against its user's limit: too many concurrent writers", "user", user)
}
