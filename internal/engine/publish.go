package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream API error codes the publish path handles.
const (
	errCodeWrongLastSeq   = 10071 // expected last subject sequence did not match
	errCodeInFlightSeq    = 10164 // another expected-sequence write to the subject is in flight (replicated streams)
	errCodeSeqNotReady    = 10163 // expected last sequence per subject temporarily unavailable
	errCodeDupInProcess   = 10158 // a write with the same message id is in process
	errCodeStoreFull      = 10047 // insufficient storage resources
	errCodeNoResources    = 10023 // insufficient resources (account or server storage limit)
	errCodeStoreFailed    = 10077 // store failed, e.g. maximum bytes exceeded
	errCodeTooLarge       = 10054 // message size exceeds maximum allowed
	maxPublishAttempts    = 50
	writerIdleEviction    = 5 * time.Minute
	writerSweepInterval   = time.Minute
	conflictRetryBaseWait = 200 * time.Microsecond
)

// ErrStorageFull is returned (wrapped) when the engine refuses a write for
// lack of storage; the write may succeed later.
var ErrStorageFull = errors.New("engine: storage full")

// ErrTooLarge is returned (wrapped) for a publication over the stream's
// maximum message size.
var ErrTooLarge = errors.New("engine: publication too large")

// ErrConflict is returned when a channel's writers kept conflicting beyond
// the retry budget; the publish may succeed if retried.
var ErrConflict = errors.New("engine: too many concurrent writers on the channel")

// PublishResult is where a publication was stored.
type PublishResult struct {
	Offset    uint64
	Seq       uint64
	Epoch     string
	Duplicate bool // an earlier publish with the same idempotency key was stored
}

// channelWriter serialises this node's writes to one channel and caches its
// top so a write normally costs one round trip.
type channelWriter struct {
	mu         sync.Mutex // held for the whole write, including the round trip
	known      bool       // lastSeq/lastOffset loaded (guarded by mu)
	lastSeq    uint64     // stream sequence of the channel's newest message (mu)
	lastOffset uint64     // its offset (mu)
	lastUsed   time.Time  // for eviction (mu)
}

type writerTable struct {
	mu sync.Mutex // guards m
	m  map[string]*channelWriter
}

func newWriterTable() *writerTable { return &writerTable{m: make(map[string]*channelWriter)} }

func (t *writerTable) get(subject string) *channelWriter {
	t.mu.Lock()
	w := t.m[subject]
	if w == nil {
		w = &channelWriter{}
		t.m[subject] = w
	}
	t.mu.Unlock()
	return w
}

// sweepWriters drops cached writers idle for a while, so a node that
// published to many channels once does not keep them all.
func (e *Engine) sweepWriters() {
	defer e.wg.Done()
	t := time.NewTicker(writerSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.writers.mu.Lock()
			for k, w := range e.writers.m {
				if w.mu.TryLock() {
					if now.Sub(w.lastUsed) > writerIdleEviction {
						delete(e.writers.m, k)
					}
					w.mu.Unlock()
				}
			}
			e.writers.mu.Unlock()
		}
	}
}

// Publish stores body as the channel's next publication and returns its
// offset once JetStream has acknowledged the write (acknowledged means
// stored). With an idempotency key, a retry to the same channel within the
// 2-minute duplicate window returns the first write's offset and stores
// nothing; the same key on another channel is a different publication.
//
// Offsets are previous + 1 per channel: each write carries the expected
// last subject sequence, and a conflicting writer (another node) makes
// this one re-read the top and retry.
func (e *Engine) Publish(ctx context.Context, ch ChannelRef, body []byte, idempotencyKey string) (PublishResult, error) {
	return e.publish(ctx, ch, body, idempotencyKey, false, 0)
}

// ErrOffsetMoved is returned (wrapped) by Append when the channel's newest
// offset is not the expected one: another writer appended first. The
// caller re-reads the channel and decides again (optimistic concurrency).
var ErrOffsetMoved = errors.New("engine: channel offset moved")

// Append stores body as the channel's next publication only if the
// channel's newest offset is expected (0: the channel is empty), so a
// feature that decided on the state up to expected never appends on top
// of events it has not seen (design D4). It fails with ErrOffsetMoved
// otherwise; every other behaviour is Publish's.
func (e *Engine) Append(ctx context.Context, ch ChannelRef, body []byte, expected uint64) (PublishResult, error) {
	return e.publish(ctx, ch, body, "", true, expected)
}

func (e *Engine) publish(ctx context.Context, ch ChannelRef, body []byte, idempotencyKey string, expect bool, expected uint64) (PublishResult, error) {
	s, err := e.stream(ch.Namespace)
	if err != nil {
		return PublishResult{}, err
	}
	if err := e.knownStoreFailure(namespaceLabel(ch.Namespace), s.name); err != nil {
		return PublishResult{}, err
	}
	subject := ch.inSubject()
	if err := checkSubject("publish", subject); err != nil {
		return PublishResult{}, err
	}
	w := e.writers.get(subject)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastUsed = time.Now()
	// unsure is set after an attempt whose outcome is unknown (a timeout, a
	// stream leader being elected): it may have been stored. The retry keeps
	// the same expected sequence, so if it was stored the retry conflicts,
	// and the channel's last message then tells whether it is ours.
	unsure := false
	reread := false // the top was read from the engine during this call
	var lastErr error
	for attempt := 0; attempt < maxPublishAttempts; attempt++ {
		if !w.known {
			reread = true
			last, found, err := e.lastMsg(ctx, s, ch)
			if err != nil {
				if unsure && retryable(err) && ctx.Err() == nil {
					lastErr = err
					if werr := sleepCtx(ctx, retryWait(attempt)); werr != nil {
						return PublishResult{}, unknownOutcome(ch, lastErr)
					}
					continue
				}
				return PublishResult{}, err
			}
			if unsure && found && last.Offset == w.lastOffset+1 && bytes.Equal(last.Body, body) {
				// The earlier attempt was stored.
				w.lastSeq, w.lastOffset, w.known = last.Seq, last.Offset, true
				return PublishResult{Offset: last.Offset, Seq: last.Seq, Epoch: s.epoch}, nil
			}
			unsure = false
			w.lastOffset, w.lastSeq, w.known = last.Offset, last.Seq, true
		}
		if expect && w.lastOffset != expected {
			if !reread {
				w.known = false // the cached top may be stale: check once
				continue
			}
			return PublishResult{}, fmt.Errorf("%w: %s is at offset %d, not %d", ErrOffsetMoved, ch.Name, w.lastOffset, expected)
		}
		msg := &nats.Msg{Subject: subject, Data: body, Header: nats.Header{}}
		msg.Header.Set(hdrOffset, strconv.FormatUint(w.lastOffset+1, 10))
		opts := []jetstream.PublishOpt{jetstream.WithExpectLastSequencePerSubject(w.lastSeq)}
		if idempotencyKey != "" {
			// JetStream de-duplicates per stream (a whole namespace); scope
			// the key to the channel. The channel token has no '/', so the
			// id is unambiguous.
			opts = append(opts, jetstream.WithMsgID(ch.token+"/"+idempotencyKey))
		}
		actx, cancel := context.WithTimeout(ctx, publishAttemptTimeout)
		ack, err := e.js.PublishMsg(actx, msg, opts...)
		cancel()
		if err == nil {
			if ack.Duplicate {
				return e.duplicateResult(ctx, s, ch, ack.Sequence)
			}
			w.lastSeq = ack.Sequence
			w.lastOffset++
			return PublishResult{Offset: w.lastOffset, Seq: ack.Sequence, Epoch: s.epoch}, nil
		}
		lastErr = err
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode {
			case errCodeWrongLastSeq, errCodeInFlightSeq, errCodeSeqNotReady, errCodeDupInProcess:
				w.known = false // re-read (and, when unsure, check whether it was ours)
				if attempt > 2 {
					if werr := sleepCtx(ctx, conflictRetryBaseWait*time.Duration(attempt)); werr != nil {
						return PublishResult{}, werr
					}
				}
				continue
			case errCodeStoreFull, errCodeStoreFailed, errCodeNoResources:
				return PublishResult{}, fmt.Errorf("%w: %s", ErrStorageFull, apiErr.Description)
			case errCodeTooLarge:
				return PublishResult{}, fmt.Errorf("%w: %s", ErrTooLarge, apiErr.Description)
			}
		}
		if timedOut(err) {
			// The server drops, without answering, every write to a
			// stream whose store failed: ask it before waiting again.
			if ferr := e.checkStore(namespaceLabel(ch.Namespace), s.name); ferr != nil {
				w.known = false
				return PublishResult{}, ferr
			}
		}
		if retryable(err) && ctx.Err() == nil {
			// A stream leader being elected, or a lost reply: retry within
			// ctx, keeping the expected sequence (see unsure).
			unsure = true
			if werr := sleepCtx(ctx, retryWait(attempt)); werr != nil {
				return PublishResult{}, unknownOutcome(ch, lastErr)
			}
			continue
		}
		w.known = false
		if unsure {
			return PublishResult{}, unknownOutcome(ch, err)
		}
		return PublishResult{}, fmt.Errorf("engine: publish to %s: %w", ch.Name, err)
	}
	if unsure {
		return PublishResult{}, unknownOutcome(ch, lastErr)
	}
	return PublishResult{}, ErrConflict
}

// publishAttemptTimeout bounds one publish round trip, so a stream whose
// leader is being elected is retried rather than waited on.
const publishAttemptTimeout = 2 * time.Second

func retryWait(attempt int) time.Duration {
	return min(25*time.Millisecond*time.Duration(1<<min(attempt, 5)), 500*time.Millisecond)
}

// retryable reports errors after which the same publish may succeed at
// once: no reply in time, nobody to answer (a leader election), or the
// engine saying it is temporarily unavailable.
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503 || apiErr.ErrorCode == 10008 || apiErr.ErrorCode == 10009
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// timedOut reports a publish attempt that got no answer in time.
func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)
}

// ErrUnknownOutcome is returned (wrapped) when a publish could not be
// confirmed in time after an attempt that may have been stored: the caller
// should retry with an idempotency key, or read history, to find out.
var ErrUnknownOutcome = errors.New("engine: publication outcome unknown")

func unknownOutcome(ch ChannelRef, err error) error {
	return fmt.Errorf("%w for %s: %w", ErrUnknownOutcome, ch.Name, err)
}

func (e *Engine) duplicateResult(ctx context.Context, s *nsStream, ch ChannelRef, seq uint64) (PublishResult, error) {
	p, found, err := e.getNext(ctx, s, ch, seq)
	if err != nil {
		return PublishResult{}, err
	}
	if !found || p.Seq != seq {
		// The original was stored but has since been trimmed from history;
		// its offset is no longer known.
		return PublishResult{Seq: seq, Epoch: s.epoch, Duplicate: true}, nil
	}
	return PublishResult{Offset: p.Offset, Seq: seq, Epoch: s.epoch, Duplicate: true}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
