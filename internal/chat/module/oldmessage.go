package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// oldMessage finds message id in the room's kept history, for a
// moderator deleting a message that left the room's memory (the last 300
// messages) but is still served by history: the text it had (after its
// edits), its author, and whether a delete of it is stored already. It
// reads the room channel's kept events, at most its history_size; nil
// when the history holds no such message.
func (m *Module) oldMessage(ctx context.Context, room, id string) (*chat.OldMessage, error) {
	channel := wire.ChatChannel(room)
	win, err := m.store.Read(ctx, channel, 0, -1)
	if errors.Is(err, hub.ErrUnrecoverable) && win.First > 0 {
		win, err = m.store.Read(ctx, channel, win.First-1, -1)
	}
	if err != nil {
		return nil, fmt.Errorf("chat: read %s for message %q: %w", channel, id, err)
	}
	var found *chat.OldMessage
	for _, e := range win.Events {
		var ev wire.ChatEvent
		if json.Unmarshal(e.Data, &ev) != nil || ev.ID != id {
			continue
		}
		switch {
		case ev.Type == wire.EventMessage:
			found = &chat.OldMessage{ID: id, User: ev.User, Text: ev.Text}
		case found == nil:
		case ev.Type == wire.EventEdit:
			found.Text = ev.Text
		case ev.Type == wire.EventDelete:
			found.Deleted = true
		}
	}
	return found, nil
}

// withOld runs a delete that failed because the message left the room's
// memory again, with the message as the room's history has it (retry
// builds the command with it). Any other outcome is returned as it is.
func (m *Module) withOld(ctx context.Context, room, id string, d chat.Decision, err error, retry func(*chat.OldMessage) (chat.Decision, error)) (chat.Decision, error) {
	var werr *wire.Error
	if !errors.As(err, &werr) || werr.Code != wire.CodeChatNoMessage || id == "" {
		return d, err
	}
	old, ferr := m.oldMessage(ctx, room, id)
	if ferr != nil || old == nil {
		return d, err
	}
	return retry(old)
}
