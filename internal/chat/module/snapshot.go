package module

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/hub"
)

// Snapshots live in the key-value bucket "chat", one key per room and
// stream, as gzip-compressed JSON: the state folded up to Offset of the
// stream's epoch. A newer snapshot simply replaces an older one; any
// snapshot still inside history is a valid place to replay from.
const snapshotBucket = "chat"

// maxSnapshotBytes keeps a snapshot under the engine's message size limit.
const maxSnapshotBytes = 900 << 10

type snapshotDoc struct {
	Offset uint64          `json:"offset"`
	Epoch  string          `json:"epoch"`
	State  json.RawMessage `json:"state"`
}

func snapshotKey(room string, s chat.Stream) string { return hub.KVKey("snap", room, s.String()) }

// snapshot writes the stream's state at its current offset, in the
// background. Called with r.mu held: the state is encoded here.
func (m *Module) snapshot(r *room, s chat.Stream) {
	r.sinceSnap[s] = 0
	var part any = r.state.Pub
	if s == chat.Private {
		part = r.state.Priv
	}
	state, err := json.Marshal(part)
	if err != nil {
		m.log.Error("chat snapshot not encoded", "room", r.id, "err", err)
		return
	}
	doc, _ := json.Marshal(snapshotDoc{Offset: r.tops[s], Epoch: r.epochs[s], State: state})
	key := snapshotKey(r.id, s)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(doc)
		_ = zw.Close()
		if buf.Len() > maxSnapshotBytes {
			m.log.Error("chat snapshot too large; not written (the room keeps loading from older state)", "room", r.id, "bytes", buf.Len())
			return
		}
		ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
		defer cancel()
		if _, err := m.store.KVPut(ctx, snapshotBucket, key, buf.Bytes()); err != nil && !errors.Is(err, context.Canceled) {
			m.log.Warn("chat snapshot not written", "room", r.id, "err", err)
		}
	}()
}

// loadSnapshots restores the room's streams from their snapshots, when
// they exist and belong to the streams' current epochs. Without one, the
// stream is replayed from its start.
func (m *Module) loadSnapshots(ctx context.Context, r *room) {
	for _, s := range streams {
		raw, _, err := m.store.KVGet(ctx, snapshotBucket, snapshotKey(r.id, s))
		if errors.Is(err, hub.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			m.log.Warn("chat snapshot not read; replaying the stream", "room", r.id, "err", err)
			continue
		}
		doc, err := decodeSnapshot(raw)
		if err != nil {
			m.log.Error("chat snapshot unreadable; replaying the stream", "room", r.id, "err", err)
			continue
		}
		top, err := m.store.Top(ctx, channelOf(r.id, s))
		if err != nil || top.Epoch != doc.Epoch || doc.Offset > top.Offset {
			continue // another epoch: the snapshot describes lost history
		}
		if s == chat.Public {
			var p chat.PublicState
			if json.Unmarshal(doc.State, &p) != nil {
				continue
			}
			r.state.Restore(&p, nil)
		} else {
			var p chat.PrivateState
			if json.Unmarshal(doc.State, &p) != nil {
				continue
			}
			r.state.Restore(nil, &p)
		}
		r.tops[s], r.epochs[s] = doc.Offset, doc.Epoch
	}
}

func decodeSnapshot(raw []byte) (snapshotDoc, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return snapshotDoc{}, fmt.Errorf("not gzip: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return snapshotDoc{}, fmt.Errorf("gzip: %w", err)
	}
	var doc snapshotDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return snapshotDoc{}, fmt.Errorf("json: %w", err)
	}
	return doc, nil
}
