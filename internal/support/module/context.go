package module

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// A conversation opened from a room carries copies of the room's recent
// messages in its opened event. The room may withdraw or edit them later
// (decisions 0026, 0027); every read of the conversation serves the copies
// as the room has them now.

// currentContext brings ev's copied room messages up to date, in place.
func (m *Module) currentContext(ctx context.Context, ev *wire.SupportEvent) error {
	if m.cfg.CurrentRecent == nil || ev.Context == nil || len(ev.Context.Recent) == 0 || ev.Room == "" {
		return nil
	}
	recent, err := m.cfg.CurrentRecent(ctx, ev.Room, ev.Context.Recent)
	if err != nil {
		return fmt.Errorf("support: room %s messages of a conversation: %w", ev.Room, err)
	}
	for i := range recent {
		recent[i].Text = m.cfg.Support.ClipRecentText(recent[i].Text)
	}
	c := *ev.Context
	c.Recent = recent
	ev.Context = &c
	return nil
}

// redactConversation is the support namespace's hub.Redactor: an opened
// event is served with its room messages as the room has them now. Other
// events are served as stored.
func (m *Module) redactConversation(ctx context.Context, channel string, _ hub.StreamPosition, pubs []*protocol.Publication) ([]*protocol.Publication, error) {
	return hub.RewriteData(pubs, func(_ int, p *protocol.Publication) ([]byte, error) {
		var head struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(p.Data, &head) != nil || head.Type != wire.SupportOpened {
			return nil, nil
		}
		var ev wire.SupportEvent
		if json.Unmarshal(p.Data, &ev) != nil || ev.Context == nil || len(ev.Context.Recent) == 0 {
			return nil, nil
		}
		if err := m.currentContext(ctx, &ev); err != nil {
			return nil, err
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("support: encode %s offset %d: %w", channel, p.Offset, err)
		}
		return data, nil
	})
}
