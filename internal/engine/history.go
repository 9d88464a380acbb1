package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Headers liveroom puts on stored publications.
const (
	hdrOffset = "Lr-Offset" // per-channel offset, previous + 1
)

// Headers JetStream adds to direct-get and re-published messages.
const (
	hdrStatus    = "Status"
	hdrSequence  = "Nats-Sequence"
	hdrTimeStamp = "Nats-Time-Stamp"
	hdrLastSeq   = "Nats-Last-Sequence"
	hdrSubject   = "Nats-Subject"
)

// StoredPub is one stored publication of a channel.
type StoredPub struct {
	// Offset is the channel offset (1 for the first publication).
	Offset uint64
	// Seq is the stream sequence (stream-wide, not per channel).
	Seq uint64
	// Time is when the engine stored it.
	Time time.Time
	// Body is the publication as the hub encoded it.
	Body []byte
}

// Top is the newest stored publication's position in a channel.
type Top struct {
	Offset uint64 // 0 when the channel was never published to
	Seq    uint64 // stream sequence of that publication, 0 if none
	Epoch  string
}

// ChannelTop reads a channel's top offset and epoch without writing: a
// channel never published to has offset 0 and the namespace's epoch.
func (e *Engine) ChannelTop(ctx context.Context, ch ChannelRef) (Top, error) {
	s, err := e.stream(ch.Namespace)
	if err != nil {
		return Top{}, err
	}
	offset, seq, err := e.lastOf(ctx, s, ch)
	if err != nil {
		return Top{}, err
	}
	return Top{Offset: offset, Seq: seq, Epoch: s.epoch}, nil
}

// lastOf reads the offset and stream sequence of the channel's newest
// message, (0, 0) when it has none.
func (e *Engine) lastOf(ctx context.Context, s *nsStream, ch ChannelRef) (offset, seq uint64, err error) {
	p, _, err := e.lastMsg(ctx, s, ch)
	return p.Offset, p.Seq, err
}

// lastMsg reads the channel's newest message; found is false when it has
// none.
func (e *Engine) lastMsg(ctx context.Context, s *nsStream, ch ChannelRef) (p StoredPub, found bool, err error) {
	return e.directGetOne(ctx, e.directGet+s.name+"."+ch.inSubject(), nil, "read top of "+ch.Name)
}

// directGetOne sends one direct get that answers with at most one message
// (a 404 status: none, found false) and parses it. what names the read in
// errors. Without a deadline in ctx, publishAttemptTimeout bounds it.
func (e *Engine) directGetOne(ctx context.Context, subj string, body []byte, what string) (StoredPub, bool, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, publishAttemptTimeout)
		defer cancel()
	}
	msg, err := e.nc.RequestWithContext(ctx, subj, body)
	if err != nil {
		return StoredPub{}, false, fmt.Errorf("engine: %s: %w", what, err)
	}
	switch msg.Header.Get(hdrStatus) {
	case "":
	case "404":
		return StoredPub{}, false, nil
	default:
		return StoredPub{}, false, fmt.Errorf("engine: %s: status %s %s", what, msg.Header.Get(hdrStatus), msg.Header.Get("Description"))
	}
	p, err := parseStored(msg)
	if err != nil {
		return StoredPub{}, false, fmt.Errorf("engine: %s: %w", what, err)
	}
	return p, true, nil
}

func parseStored(msg *nats.Msg) (StoredPub, error) {
	off, err := strconv.ParseUint(msg.Header.Get(hdrOffset), 10, 64)
	if err != nil {
		return StoredPub{}, fmt.Errorf("stored message without a valid %s header: %w", hdrOffset, err)
	}
	seq, err := strconv.ParseUint(msg.Header.Get(hdrSequence), 10, 64)
	if err != nil {
		return StoredPub{}, fmt.Errorf("stored message without a valid %s header: %w", hdrSequence, err)
	}
	var ts time.Time
	if v := msg.Header.Get(hdrTimeStamp); v != "" {
		if ts, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return StoredPub{}, fmt.Errorf("stored message with a bad %s header: %w", hdrTimeStamp, err)
		}
	}
	return StoredPub{Offset: off, Seq: seq, Time: ts, Body: msg.Data}, nil
}

type directGetRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	NextFor string `json:"next_by_subj,omitempty"`
	// StartTime asks for the first message stored at this time or later
	// (with NextFor: of that subject); it excludes Seq.
	StartTime *time.Time `json:"start_time,omitempty"`
	Batch     int        `json:"batch,omitempty"`
	MaxBytes  int        `json:"max_bytes,omitempty"`
}

const (
	scanBatch    = 256
	scanMaxBytes = 1 << 20
)

// scan calls fn for each stored message of ch with stream sequence ≥
// fromSeq, in order, until fn returns false or the channel has no more.
// It asks for batch messages at a time (at most scanBatch; < 1: scanBatch),
// so a caller that knows it needs few does not have the server send more.
func (e *Engine) scan(ctx context.Context, s *nsStream, ch ChannelRef, fromSeq uint64, batch int, fn func(StoredPub) bool) error {
	if batch < 1 || batch > scanBatch {
		batch = scanBatch
	}
	if fromSeq == 0 {
		fromSeq = 1
	}
	inbox := nats.NewInbox()
	sub, err := e.nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("engine: history of %s: %w", ch.Name, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	subj := e.directGet + s.name
batches:
	for {
		req, _ := json.Marshal(directGetRequest{Seq: fromSeq, NextFor: ch.inSubject(), Batch: batch, MaxBytes: scanMaxBytes})
		if err := e.nc.PublishRequest(subj, inbox, req); err != nil {
			return fmt.Errorf("engine: history of %s: %w", ch.Name, err)
		}
		got := 0
		for {
			msg, err := sub.NextMsgWithContext(ctx)
			if err != nil {
				return fmt.Errorf("engine: history of %s: %w", ch.Name, err)
			}
			switch msg.Header.Get(hdrStatus) {
			case "404":
				return nil // nothing at or after fromSeq
			case "204":
				// End of batch. Nats-Num-Pending says whether more remain.
				if got == 0 || msg.Header.Get("Nats-Num-Pending") == "0" {
					return nil
				}
				continue batches
			case "":
			default:
				return fmt.Errorf("engine: history of %s: status %s %s", ch.Name, msg.Header.Get(hdrStatus), msg.Header.Get("Description"))
			}
			p, err := parseStored(msg)
			if err != nil {
				return fmt.Errorf("engine: history of %s: %w", ch.Name, err)
			}
			got++
			e.historyRead.Add(1)
			fromSeq = p.Seq + 1
			if !fn(p) {
				return nil
			}
		}
	}
}

// ErrUnrecoverable means publications after the asked position are gone
// (trimmed by size or hidden by age), so the gap cannot be filled.
var ErrUnrecoverable = errors.New("engine: position no longer in history")

// Window is a read of a channel's history.
type Window struct {
	// Pubs are the publications read, oldest first.
	Pubs []StoredPub
	// First is the oldest offset history still serves (0 if none).
	First uint64
	// Top is the highest offset this read saw; it is the channel's top
	// only when the read was not cut short by limit.
	Top uint64
	// Epoch is the namespace stream's epoch.
	Epoch string
}

// ReadAfter returns up to limit publications with offsets greater than
// after, oldest first (limit < 0: all). Publications older than the
// namespace's history TTL at now are treated as gone. If after+1 is older
// than what history still serves (and after < top), it returns
// ErrUnrecoverable together with the window's bounds: never a partial
// replay.
func (e *Engine) ReadAfter(ctx context.Context, ch ChannelRef, after uint64, limit int, now time.Time) (Window, error) {
	return e.read(ctx, ch, after, limit, now, true)
}

// ReadOldest returns up to limit of the oldest publications history still
// serves (limit < 0: all), oldest first.
func (e *Engine) ReadOldest(ctx context.Context, ch ChannelRef, limit int, now time.Time) (Window, error) {
	return e.read(ctx, ch, 0, limit, now, false)
}
