package engine

import (
	"context"
	"encoding/json"
	"time"
)

// Reading a channel's history from a position.
//
// A namespace's stream holds every channel of the namespace, so one
// channel's messages are scattered over the stream's sequences, and its
// offsets are a header, not the sequence. Reading "after offset X" by
// scanning the channel from its oldest message costs every message before
// X: for a channel that keeps 1,000 publications of 64 KiB, 64 MB for a
// recovery that misses one. A read instead finds where to start:
//
//   - The first message stored at or after the history TTL's cutoff is one
//     direct get by start time (the stream's timestamps grow with its
//     sequences).
//   - The first message with an offset above X is found by bisection over
//     stream sequences, each probe one direct get of "the channel's first
//     message at or after sequence s": offsets grow with sequences, so
//     "offset > X" is false and then true along the channel. The bisection
//     stops once fewer than seekScanWithin publications lie between the
//     last probe and X, and the scan reads those.
//
// A read that starts at the channel's oldest message, or within
// seekScanWithin of it, scans from there as before.

// seekScanWithin is how close (in publications) to the wanted position a
// probe must land before the read scans instead of probing further.
const seekScanWithin = 16

// getNext reads ch's first stored message at stream sequence seq or later;
// found is false when there is none.
func (e *Engine) getNext(ctx context.Context, s *nsStream, ch ChannelRef, seq uint64) (p StoredPub, found bool, err error) {
	return e.getOne(ctx, s, ch, directGetRequest{Seq: seq, NextFor: ch.inSubject()})
}

// getFirstSince reads ch's first message stored at t or later; found is
// false when there is none.
func (e *Engine) getFirstSince(ctx context.Context, s *nsStream, ch ChannelRef, t time.Time) (p StoredPub, found bool, err error) {
	t = t.UTC()
	return e.getOne(ctx, s, ch, directGetRequest{StartTime: &t, NextFor: ch.inSubject()})
}

// getOne sends one direct get of ch's stream that answers with at most
// one message, and counts it as read for history.
func (e *Engine) getOne(ctx context.Context, s *nsStream, ch ChannelRef, req directGetRequest) (StoredPub, bool, error) {
	body, _ := json.Marshal(req)
	p, found, err := e.directGetOne(ctx, e.directGet+s.name, body, "history of "+ch.Name)
	if found {
		e.historyRead.Add(1)
	}
	return p, found, err
}

// seekAfter returns a stream sequence from which a scan of ch meets every
// publication with an offset above after, skipping all but fewer than
// seekScanWithin of those at or below it. lo is a stored message of ch
// with lo.Offset ≤ after; hiSeq is the sequence of one with an offset
// above after.
func (e *Engine) seekAfter(ctx context.Context, s *nsStream, ch ChannelRef, lo StoredPub, hiSeq, after uint64) (uint64, error) {
	// Invariants: every message of ch before loSeq has an offset ≤ after
	// (the last of them has loOffset); the first message of ch at or after
	// hi has an offset above after.
	loSeq, loOffset, hi := lo.Seq+1, lo.Offset, hiSeq
	for loSeq < hi && after-loOffset >= seekScanWithin {
		mid := loSeq + (hi-loSeq)/2
		m, found, err := e.getNext(ctx, s, ch, mid)
		if err != nil {
			return 0, err
		}
		if !found || m.Offset > after { // not found: trimmed meanwhile
			hi = mid
			continue
		}
		loSeq, loOffset = m.Seq+1, m.Offset
	}
	return loSeq, nil
}

func (e *Engine) read(ctx context.Context, ch ChannelRef, after uint64, limit int, now time.Time, strict bool) (Window, error) {
	s, err := e.stream(ch.Namespace)
	if err != nil {
		return Window{}, err
	}
	w := Window{Epoch: s.epoch}
	var cutoff time.Time
	if s.spec.HistoryTTL > 0 {
		cutoff = now.Add(-s.spec.HistoryTTL)
	}
	if after == 0 && cutoff.IsZero() {
		return e.scanWindow(ctx, s, ch, 1, after, limit, cutoff, strict, w)
	}
	oldest, found, err := e.getNext(ctx, s, ch, 1)
	if err != nil || !found {
		return w, err
	}
	hidden := !cutoff.IsZero() && oldest.Time.Before(cutoff)
	if !hidden && after < oldest.Offset+seekScanWithin {
		return e.scanWindow(ctx, s, ch, oldest.Seq, after, limit, cutoff, strict, w)
	}
	top, found, err := e.lastMsg(ctx, s, ch)
	if err != nil || !found {
		return w, err
	}
	e.historyRead.Add(1)
	w.Top = top.Offset
	first := oldest
	if hidden {
		first, found, err = e.getFirstSince(ctx, s, ch, cutoff)
		if err != nil {
			return Window{}, err
		}
		if !found { // everything aged out
			if strict && after < w.Top {
				return w, ErrUnrecoverable
			}
			return w, nil
		}
	}
	w.First = first.Offset
	if strict && after+1 < w.First {
		return w, ErrUnrecoverable
	}
	if after >= w.Top {
		return w, nil
	}
	from := first.Seq
	if after >= first.Offset+seekScanWithin {
		if from, err = e.seekAfter(ctx, s, ch, first, top.Seq, after); err != nil {
			return Window{}, err
		}
	}
	return e.scanWindow(ctx, s, ch, from, after, limit, cutoff, strict, w)
}

// scanWindow completes w by scanning ch from stream sequence from: the
// publications above after (up to limit; limit < 0: all) that are not
// older than cutoff. w.First, when already set, is the oldest offset
// history serves; otherwise the scan finds it.
func (e *Engine) scanWindow(ctx context.Context, s *nsStream, ch ChannelRef, from, after uint64, limit int, cutoff time.Time, strict bool, w Window) (Window, error) {
	gap := false
	batch := scanBatch // a limited read needs the limit and what lies before the position
	if limit >= 0 {
		batch = limit + seekScanWithin + 1
	}
	err := e.scan(ctx, s, ch, from, batch, func(p StoredPub) bool {
		w.Top = max(w.Top, p.Offset)
		if !cutoff.IsZero() && p.Time.Before(cutoff) {
			return true // hidden by age
		}
		if w.First == 0 {
			w.First = p.Offset
			if strict && after+1 < p.Offset {
				return false // the gap reaches past what is kept
			}
		}
		if p.Offset <= after {
			return true
		}
		if strict && len(w.Pubs) == 0 && p.Offset != after+1 {
			gap = true // the next one was trimmed while this read ran
			return false
		}
		if limit >= 0 && len(w.Pubs) >= limit {
			return false
		}
		w.Pubs = append(w.Pubs, p)
		return true
	})
	if err != nil {
		return Window{}, err
	}
	if gap || strict && w.First != 0 && after+1 < w.First {
		w.Pubs = nil
		return w, ErrUnrecoverable
	}
	if strict && w.First == 0 && after < w.Top {
		return w, ErrUnrecoverable // everything after the position aged out
	}
	return w, nil
}

// HistoryMessagesRead counts the stored messages this engine has read for
// history and recovery since it started: scanned, and read by the probes
// that find where a read starts.
func (e *Engine) HistoryMessagesRead() uint64 { return e.historyRead.Load() }
