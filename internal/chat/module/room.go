package module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// room is one room's state on this node.
type room struct {
	id   string
	used time.Time // last use (Module.mu)

	mu        sync.Mutex // serialises this room's commands on this node; guards the fields below
	loaded    bool
	state     *chat.Room
	tops      [2]uint64 // offset of the last applied event per stream
	epochs    [2]string
	sinceSnap [2]int // events applied since the last snapshot
	next      time.Time
	typing    map[string]time.Time // user → last typing indicator sent from this node
	auditTop  uint64               // last known offset of the audit channel (0: unknown)
}

var streams = [2]chat.Stream{chat.Public, chat.Private}

func channelOf(id string, s chat.Stream) string {
	if s == chat.Private {
		return wire.ChatModChannel(id)
	}
	return wire.ChatChannel(id)
}

// maxAttempts bounds how often a command is decided again after losing
// an append race; after each loss the module waits a random moment of up
// to conflictBackoff × attempts, so two nodes writing one busy room stop
// alternating in lockstep (each losing to the other's append).
const (
	maxAttempts     = 24
	conflictBackoff = 2 * time.Millisecond
)

// backoff waits after the attempt-th lost race (0-based), or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(conflictBackoff) * int64(min(attempt+1, 10))))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// exec decides cmd in room id and stores its events. On success the
// decision's events are applied and its effects carried out.
func (m *Module) exec(ctx context.Context, id string, cmd chat.Command) (chat.Decision, error) {
	r := m.room(id)
	r.mu.Lock()
	d, err := m.execLocked(ctx, r, cmd)
	r.mu.Unlock()
	if err == nil {
		m.effects(ctx, r, d)
	}
	return d, err
}

func (m *Module) execLocked(ctx context.Context, r *room, cmd chat.Command) (chat.Decision, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := m.catchUp(ctx, r); err != nil {
			return chat.Decision{}, err
		}
		now := m.now()
		d, err := r.state.Decide(cmd, now)
		if err != nil || len(d.Events) == 0 {
			return d, err
		}
		if err := m.auditWritable(r, d); err != nil {
			return chat.Decision{}, err
		}
		err = m.store1(ctx, r, &d)
		if errors.Is(err, hub.ErrOffsetMoved) {
			// Another node wrote first: catch up, decide again.
			if err := backoff(ctx, attempt); err != nil {
				return chat.Decision{}, err
			}
			continue
		}
		if err != nil {
			return chat.Decision{}, err
		}
		r.next = r.state.NextTick(now)
		return d, nil
	}
	return chat.Decision{}, wire.Errorf(wire.CodeInternal, true, "room %q is too busy right now; retry", r.id)
}

// store1 appends a decision's events: the first one decides (a conflict
// means deciding again); later ones (an automatic slow mode switch that
// the first caused) are appended if they still can be, since the next
// command would decide them again anyway.
func (m *Module) store1(ctx context.Context, r *room, d *chat.Decision) error {
	ch := channelOf(r.id, d.Stream)
	for i, ev := range d.Events {
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("chat: encode %s event: %w", ev.Type, err)
		}
		var author *protocol.ClientInfo
		if ev.User != "" && (ev.Type == wire.EventMessage || ev.Type == wire.EventEdit) {
			author = &protocol.ClientInfo{User: ev.User}
		}
		pos, err := m.store.Append(ctx, ch, data, author, r.tops[d.Stream])
		if err != nil {
			if i == 0 {
				return err
			}
			m.log.Info("follow-up event not stored; the next command decides it again", "room", r.id, "type", ev.Type, "err", err)
			d.Events = d.Events[:i]
			return nil
		}
		m.apply(r, d.Stream, pos.Offset, ev)
		if i == 0 {
			if res, ok := d.Reply.(wire.ChatSendResult); ok && d.Stream == chat.Public {
				res.Offset = pos.Offset
				d.Reply = res
			}
		}
	}
	return nil
}

// apply folds one stored event and snapshots the stream now and then.
func (m *Module) apply(r *room, s chat.Stream, offset uint64, ev wire.ChatEvent) {
	r.state.Apply(s, offset, ev)
	r.tops[s] = offset
	r.sinceSnap[s]++
	if r.sinceSnap[s] >= m.cfg.SnapshotEvery {
		m.snapshot(r, s)
	}
}

// room returns the room's entry, creating it (unloaded) if needed.
func (m *Module) room(id string) *room {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rooms[id]
	if r == nil {
		r = &room{id: id, state: chat.NewRoom(&m.cfg.Chat, id), typing: map[string]time.Time{}}
		m.rooms[id] = r
	}
	r.used = m.now()
	return r
}

// catchUp makes the room's state current: on first use it loads the
// snapshots, then it applies every event stored after what it has seen
// (one cheap read of each channel's top when nothing is new).
func (m *Module) catchUp(ctx context.Context, r *room) error {
	if !r.loaded {
		m.loadSnapshots(ctx, r)
		r.loaded = true
	}
	for _, s := range streams {
		ch := channelOf(r.id, s)
		top, err := m.store.Top(ctx, ch)
		if err != nil {
			return engineErr(r.id, err)
		}
		if r.epochs[s] != "" && top.Epoch != r.epochs[s] {
			// The stream was lost and recreated: what was applied is gone.
			m.log.Error("chat history was reset; reloading the room from what is kept", "room", r.id, "stream", s.String())
			m.resetStream(r, s)
		}
		r.epochs[s] = top.Epoch
		if top.Offset <= r.tops[s] {
			continue
		}
		if err := m.readFrom(ctx, r, s, ch); err != nil {
			return err
		}
	}
	r.next = r.state.NextTick(m.now()) // another node may have switched slow mode on
	return nil
}

// readFrom applies the events of a stream after r.tops[s]. If some are no
// longer kept (the snapshot is older than history), it applies what is
// kept and says so: that room's older state is lost.
func (m *Module) readFrom(ctx context.Context, r *room, s chat.Stream, ch string) error {
	w, err := m.store.Read(ctx, ch, r.tops[s], -1)
	if errors.Is(err, hub.ErrUnrecoverable) {
		m.log.Error("chat events after the room's snapshot are no longer kept; state from before them is lost",
			"room", r.id, "stream", s.String(), "snapshot_offset", r.tops[s], "first_kept", w.First)
		if w.First == 0 {
			r.tops[s] = w.Top
			return nil
		}
		w, err = m.store.Read(ctx, ch, w.First-1, -1)
	}
	if err != nil {
		return engineErr(r.id, err)
	}
	for _, e := range w.Events {
		var ev wire.ChatEvent
		if err := json.Unmarshal(e.Data, &ev); err != nil {
			m.log.Warn("skipping an undecodable chat event", "room", r.id, "stream", s.String(), "offset", e.Offset, "err", err)
			r.tops[s] = e.Offset
			continue
		}
		m.apply(r, s, e.Offset, ev)
	}
	return nil
}

func (m *Module) resetStream(r *room, s chat.Stream) {
	fresh := chat.NewRoom(&m.cfg.Chat, r.id)
	if s == chat.Public {
		r.state.Pub = fresh.Pub
	} else {
		r.state.Priv = fresh.Priv
	}
	r.tops[s], r.sinceSnap[s] = 0, 0
}

// engineErr turns an engine failure into a temporary error for the client.
func engineErr(room string, err error) error {
	var werr *wire.Error
	if errors.As(err, &werr) {
		return werr
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return wire.Errorf(wire.CodeInternal, true, "the chat of room %q did not answer in time; retry", room)
	}
	return fmt.Errorf("chat room %s: %w", room, err)
}
