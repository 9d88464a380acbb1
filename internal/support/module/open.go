package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/wire"
)

// open serves support.open. A user has at most one open conversation:
// the key open.<user> is created (create-if-absent) before the opened
// event is appended, so two taps or two tabs racing get the same
// conversation; the loser is answered with the winner's.
func (m *Module) open(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.SupportOpenRequest
	if werr := decode(wire.MethodSupportOpen, data, &req); werr != nil {
		return nil, werr
	}
	a := c.actor()
	if a.Guest || a.Server {
		return nil, wire.Errorf(wire.CodePermissionDenied, false, "sign in to open a support conversation")
	}
	if err := wire.ValidateRoom(req.Room); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "support.open: %s", err.Error())
	}
	if req.CID != "" && !support.ValidCID(req.CID) {
		return nil, wire.Errorf(wire.CodeBadRequest, false, "support.open: cid must be 1–64 printable ASCII characters")
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if sum, ok, err := m.existing(ctx, c, req.Text, req.CID); err != nil || ok {
			var werr *wire.Error
			if errors.As(err, &werr) && werr.Code == wire.CodeSupportResolved {
				continue // resolved while its text was being sent: open a new one
			}
			if err != nil {
				return nil, err
			}
			return wire.SupportOpenResult{Conversation: m.named(ctx, sum), Existing: true}, nil
		}
		ctxt := &wire.SupportContext{Client: req.Context}
		if m.cfg.Recent != nil && m.cfg.RecentMessages > 0 {
			reader := hub.Access{User: c.user, Client: c.client, Roles: c.roles}
			ctxt.Recent = m.cfg.Recent(ctx, reader, req.Room, m.cfg.RecentMessages)
		}
		sum, taken, err := m.openNew(ctx, a, support.Open{Actor: a, Room: req.Room, Text: req.Text, CID: req.CID, Context: ctxt})
		if err != nil {
			return nil, err
		}
		if !taken {
			return wire.SupportOpenResult{Conversation: m.named(ctx, sum)}, nil
		}
	}
	return nil, wire.Errorf(wire.CodeInternal, true, "could not open a conversation right now; retry")
}

// openNew decides and stores a new conversation. taken reports that the
// user opened another one meanwhile (nothing was stored: look it up).
func (m *Module) openNew(ctx context.Context, a support.Actor, cmd support.Open) (sum wire.SupportConversation, taken bool, err error) {
	id := newID()
	c := m.conv(id)
	c.mu.Lock()
	d, err := c.state.Decide(cmd, m.now())
	if err != nil {
		c.mu.Unlock()
		m.forget(id)
		return sum, false, err
	}
	ev := d.Events[0]
	data, err := json.Marshal(ev)
	if err != nil {
		c.mu.Unlock()
		return sum, false, fmt.Errorf("support: encode opened event: %w", err)
	}
	if err := m.mayOpen(ctx, a.User); err != nil {
		c.mu.Unlock()
		m.forget(id)
		return sum, false, err
	}
	marker, _ := json.Marshal(openMarker{ID: id, At: m.now().UnixMilli()})
	if _, err := m.store.KVCreate(ctx, bucket, openKey(a.User), marker); err != nil {
		c.mu.Unlock()
		m.forget(id)
		if errors.Is(err, hub.ErrKeyExists) {
			return sum, true, nil
		}
		return sum, false, engineErr(id, err)
	}
	pos, err := m.store.Append(ctx, wire.SupportChannel(id), data, &protocol.ClientInfo{User: a.User}, 0)
	if err != nil {
		c.mu.Unlock()
		m.forget(id)
		if derr := m.dropOpen(context.WithoutCancel(ctx), a.User, id); derr != nil {
			m.log.Error("a failed open left the user's open marker", "user", a.User, "err", derr)
		}
		return sum, false, engineErr(id, err)
	}
	c.state.Apply(pos.Offset, ev)
	sum = c.state.Summary()
	c.mu.Unlock()
	m.noteOpen(ctx, a.User)
	m.effects(ctx, c, d, sum)
	return sum, false, nil
}

// openMarker is the value of open.<user>: the user's open conversation
// and when the marker was made (Unix ms).
type openMarker struct {
	ID string `json:"id"`
	At int64  `json:"at"`
}

// A marker whose conversation is not stored yet is being opened by
// another tab or node: wait for it up to openWait, checking every
// openPoll. Past openGrace such a marker is left over from a failed open
// and is removed.
const (
	openPoll  = 25 * time.Millisecond
	openWait  = 2 * time.Second
	openGrace = 10 * time.Second
)

// existing returns the caller's open conversation, sending text in it if
// given (cid identifies it: a retry of the open that made the
// conversation, or of an earlier send, sends nothing). A marker left by a conversation that is resolved, or that was
// never stored, is removed, and ok is false.
func (m *Module) existing(ctx context.Context, c caller, text, cid string) (sum wire.SupportConversation, ok bool, err error) {
	mk, found, err := m.openOf(ctx, c.user)
	if err != nil || !found {
		return sum, false, err
	}
	young := func() bool { return m.now().Sub(time.UnixMilli(mk.At)) < openGrace }
	for waited := time.Duration(0); ; waited += openPoll {
		err = m.view(ctx, mk.ID, func(s *support.Conversation) error {
			sum = s.Summary()
			return nil
		})
		if err != nil || sum.Status != "" || !young() || waited >= openWait {
			break
		}
		t := time.NewTimer(openPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return sum, false, engineErr(mk.ID, ctx.Err())
		case <-t.C:
		}
	}
	if err != nil {
		return sum, false, err
	}
	if sum.Status != "" {
		m.indexed(ctx, sum) // repairs an index that missed a change (a crash after the append)
	}
	switch sum.Status {
	case wire.StatusQueued, wire.StatusClaimed:
		if text != "" {
			if _, sum, err = m.exec(ctx, mk.ID, support.Send{Actor: c.actor(), NewID: newID(), Text: text, CID: cid}); err != nil {
				return sum, false, err
			}
		}
		return sum, true, nil
	case "":
		if young() {
			return sum, false, wire.Errorf(wire.CodeInternal, true, "your support conversation is still opening; retry in a moment")
		}
	}
	return sum, false, m.dropOpen(ctx, c.user, mk.ID)
}

// openOf reads the user's open conversation marker.
func (m *Module) openOf(ctx context.Context, user string) (openMarker, bool, error) {
	raw, _, err := m.store.KVGet(ctx, bucket, openKey(user))
	if errors.Is(err, hub.ErrKeyNotFound) {
		return openMarker{}, false, nil
	}
	if err != nil {
		return openMarker{}, false, engineErr("open", err)
	}
	var mk openMarker
	if json.Unmarshal(raw, &mk) != nil || mk.ID == "" {
		mk = openMarker{ID: "unreadable"} // old enough to be removed
	}
	return mk, true, nil
}

// dropOpen removes the user's open marker if it still names id.
func (m *Module) dropOpen(ctx context.Context, user, id string) error {
	mk, found, err := m.openOf(ctx, user)
	if err != nil || !found || mk.ID != id {
		return err
	}
	if err := m.store.KVDelete(ctx, bucket, openKey(user)); err != nil {
		return engineErr(id, err)
	}
	return nil
}

// forget drops a conversation entry that was never stored.
func (m *Module) forget(id string) {
	m.mu.Lock()
	delete(m.convs, id)
	m.mu.Unlock()
}

// current serves support.current: the caller's open conversation.
func (m *Module) current(ctx context.Context, c caller, data []byte) (any, error) {
	var req struct{}
	if werr := decode(wire.MethodSupportCurrent, data, &req); werr != nil {
		return nil, werr
	}
	if c.user == "" {
		return wire.SupportCurrentResult{}, nil
	}
	sum, ok, err := m.existing(ctx, c, "", "")
	if err != nil || !ok {
		return wire.SupportCurrentResult{}, err
	}
	named := m.named(ctx, sum)
	return wire.SupportCurrentResult{Conversation: &named}, nil
}

// transcriptCmd serves support.transcript for the user and the agent.
func (m *Module) transcriptCmd(ctx context.Context, c caller, data []byte) (any, error) {
	var req wire.SupportIDRequest
	if werr := decodeID(wire.MethodSupportTranscript, data, &req, &req.ID); werr != nil {
		return nil, werr
	}
	return m.transcript(ctx, c.actor(), req.ID)
}

// transcript reads a conversation's whole history, if a may read it.
func (m *Module) transcript(ctx context.Context, a support.Actor, id string) (wire.SupportTranscript, error) {
	var sum wire.SupportConversation
	err := m.view(ctx, id, func(s *support.Conversation) error {
		if werr := s.CanRead(a); werr != nil {
			return werr
		}
		if !s.Opened() {
			return wire.Errorf(wire.CodeSupportNoConversation, false, "no support conversation %q", id)
		}
		sum = s.Summary()
		return nil
	})
	if err != nil {
		return wire.SupportTranscript{}, err
	}
	w, err := m.store.Read(ctx, wire.SupportChannel(id), 0, -1)
	if err != nil && !errors.Is(err, hub.ErrUnrecoverable) {
		return wire.SupportTranscript{}, engineErr(id, err)
	}
	out := wire.SupportTranscript{Conversation: m.named(ctx, sum), Events: make([]wire.SupportEvent, 0, len(w.Events)), Names: map[string]string{}}
	for _, e := range w.Events {
		var ev wire.SupportEvent
		if json.Unmarshal(e.Data, &ev) != nil {
			continue
		}
		if err := m.currentContext(ctx, &ev); err != nil {
			return wire.SupportTranscript{}, engineErr(id, err)
		}
		ev.Offset = e.Offset
		out.Events = append(out.Events, ev)
		for _, u := range []string{ev.User, ev.Agent, ev.By} {
			if _, done := out.Names[u]; u != "" && !done {
				if name := m.nameOf(ctx, u); name != "" {
					out.Names[u] = name
				}
			}
		}
	}
	return out, nil
}
