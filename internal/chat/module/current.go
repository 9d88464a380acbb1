package module

import (
	"context"
	"fmt"

	"github.com/liveroom-dev/liveroom/wire"
)

// CurrentMessages brings copies of a room's messages up to date, for
// features that copied them elsewhere (support attaches a room's recent
// messages to a conversation): a copy of a message deleted since, or sent
// before a clear since, is left out, and one edited since gets the latest
// edit's text (decisions 0026 and 0027). msgs is not changed. It reads
// what the room's redaction fold reads; an error means the copies cannot
// be checked now, and the caller must not serve them (retry).
func (m *Module) CurrentMessages(ctx context.Context, room string, msgs []wire.SupportContextMessage) ([]wire.SupportContextMessage, error) {
	if len(msgs) == 0 {
		return msgs, nil
	}
	channel := wire.ChatChannel(room)
	top, err := m.store.Top(ctx, channel)
	if err != nil {
		return nil, fmt.Errorf("chat: position of %s: %w", channel, err)
	}
	w := m.withdrawalsOf(channel)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := m.foldWithdrawals(ctx, w, channel, top); err != nil {
		return nil, err
	}
	out := make([]wire.SupportContextMessage, 0, len(msgs))
	for _, msg := range msgs {
		if w.deleted[msg.ID] || (msg.Offset > 0 && msg.Offset < w.cleared) {
			continue
		}
		if e, ok := w.edited[msg.ID]; ok && e.offset > msg.Offset {
			msg.Text = e.text
		}
		out = append(out, msg)
	}
	return out, nil
}
