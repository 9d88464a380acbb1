package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/wire"
)

// Support chat, wired to the chat in this one place: a conversation opened
// from a room gets the room's recent chat messages attached when its user
// may read the room (not when banned from it), and the room's chat
// moderators may read the room's support audit log.

func (s *Server) startSupport() {
	c := s.cfg.Support
	if !c.Enabled {
		return
	}
	cfg := support.DefaultConfig()
	cfg.MaxChars = c.MaxChars
	cfg.RateMessages = c.RateMessages
	cfg.RateWindow = c.RateWindow.Duration()
	cfg.MaxEvents = c.MaxEvents
	cfg.OpenRate = c.OpenRate
	cfg.OpenWindow = c.OpenWindow.Duration()
	mc := supportmodule.Config{Support: cfg, RecentMessages: c.RecentMessages, Logger: s.log}
	if s.chat != nil {
		mc.Recent = func(ctx context.Context, a hub.Access, room string, n int) []wire.SupportContextMessage {
			a.Op, a.Channel = hub.AccessRead, wire.ChatChannel(room)
			if s.chat.GuardRoom(ctx, a) != nil {
				return nil // banned from the room, or its rules cannot be read now: no room context
			}
			return s.recentChat(ctx, room, n)
		}
		mc.CurrentRecent = s.chat.CurrentMessages
		mc.RoomModerator = func(ctx context.Context, a hub.Access, room string) bool {
			a.Op, a.Channel = hub.AccessRead, wire.ChatAuditChannel(room)
			return s.chat.GuardAudit(ctx, a) == nil // the chat lets its moderators read its audit log
		}
	}
	s.support = supportmodule.New(mc, s.hub)
	s.support.Register()
}

// recentWindow is how many of a room's last chat events are read to find
// its recent messages.
const recentWindow = 100

// recentChat returns up to n of the room's last chat messages, oldest
// first, as they stand (edits applied, deleted ones left out). A failure
// only leaves the context without them.
func (s *Server) recentChat(ctx context.Context, room string, n int) []wire.SupportContextMessage {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	store := s.hub.Modules()
	ch := wire.ChatChannel(room)
	top, err := store.Top(ctx, ch)
	if err != nil || top.Offset == 0 {
		return nil
	}
	after := uint64(0)
	if top.Offset > recentWindow {
		after = top.Offset - recentWindow
	}
	w, err := store.Read(ctx, ch, after, recentWindow)
	if errors.Is(err, hub.ErrUnrecoverable) && w.First > 0 {
		w, err = store.Read(ctx, ch, w.First-1, recentWindow)
	}
	if err != nil {
		s.log.Info("recent chat not attached to a support conversation", "room", room, "err", err)
		return nil
	}
	var msgs []wire.SupportContextMessage
	index := map[string]int{}
	for _, e := range w.Events {
		var ev wire.ChatEvent
		if json.Unmarshal(e.Data, &ev) != nil {
			continue
		}
		switch ev.Type {
		case wire.EventMessage:
			index[ev.ID] = len(msgs)
			msgs = append(msgs, wire.SupportContextMessage{ID: ev.ID, User: ev.User, Text: ev.Text, At: ev.At, Offset: e.Offset})
		case wire.EventEdit:
			if i, ok := index[ev.ID]; ok {
				msgs[i].Text = ev.Text
			}
		case wire.EventDelete:
			if i, ok := index[ev.ID]; ok {
				msgs[i].ID = "" // dropped below
			}
		case wire.EventClear:
			msgs, index = nil, map[string]int{}
		}
	}
	out := make([]wire.SupportContextMessage, 0, n)
	for _, m := range msgs {
		if m.ID != "" {
			out = append(out, m)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
