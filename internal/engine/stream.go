package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NamespaceSpec says how one namespace keeps history. One stream holds every
// channel of the namespace; channels are subjects inside it (design D3: few,
// coarse streams).
type NamespaceSpec struct {
	// Namespace is the namespace name ("" for the default namespace).
	Namespace string
	// HistorySize is how many publications each channel keeps (≥ 1).
	// Older ones are dropped by the stream's per-subject limit.
	HistorySize int
	// HistoryTTL hides publications older than this from history and
	// recovery (0: no age limit). The stream itself has no MaxAge so a
	// channel's newest publication, which carries its top offset, is never
	// aged out: offsets must not restart under the same epoch.
	HistoryTTL time.Duration
	// MaxPublicationBytes caps one publication's stored body.
	MaxPublicationBytes int
	// AppendOnly makes the engine refuse deleting or purging anything in
	// the namespace's stream (an audit log); only the per-channel history
	// size drops old entries, so give such namespaces a large one.
	AppendOnly bool
}

// nsStream is a namespace's stream as ensured at start.
type nsStream struct {
	spec  NamespaceSpec
	name  string
	epoch string
}

// Duplicate window for idempotent publishes (Nats-Msg-Id).
const dedupWindow = 2 * time.Minute

// EnsureNamespace creates or updates the namespace's stream and records its
// epoch. The epoch is derived from the stream's creation time, so it changes
// only when the stream (and with it the history) is lost and recreated.
func (e *Engine) EnsureNamespace(ctx context.Context, spec NamespaceSpec) error {
	if spec.HistorySize < 1 {
		return fmt.Errorf("engine: namespace %q: history size must be at least 1", spec.Namespace)
	}
	tok := nsToken(spec.Namespace)
	maxMsg := spec.MaxPublicationBytes + 4096 // body + headers
	if spec.MaxPublicationBytes <= 0 {
		maxMsg = -1
	}
	cfg := jetstream.StreamConfig{
		Name:              streamName(spec.Namespace),
		Description:       "liveroom history of namespace " + strconv.Quote(spec.Namespace),
		Subjects:          []string{subjectIn + tok + ".>"},
		Storage:           jetstream.FileStorage,
		Replicas:          e.cfg.Replicas,
		MaxMsgsPerSubject: int64(spec.HistorySize),
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgSize:        int32(maxMsg),
		Discard:           jetstream.DiscardNew,
		Duplicates:        dedupWindow,
		AllowDirect:       true,
		DenyDelete:        spec.AppendOnly,
		DenyPurge:         spec.AppendOnly,
		RePublish: &jetstream.RePublish{
			Source:      subjectIn + tok + ".>",
			Destination: subjectOut + tok + ".>",
		},
	}
	info, err := e.ensureStream(ctx, cfg)
	if err != nil {
		return err
	}
	s := &nsStream{spec: spec, name: cfg.Name, epoch: epochOf(info.Created)}
	e.mu.Lock()
	e.streams[spec.Namespace] = s
	e.mu.Unlock()
	e.log.Debug("namespace stream ready", "stream", cfg.Name, "epoch", s.epoch, "history", spec.HistorySize)
	return nil
}

func epochOf(created time.Time) string {
	return strconv.FormatInt(created.UnixNano(), 36)
}

// ErrNoHistory is returned for channels whose namespace keeps no history.
var ErrNoHistory = errors.New("engine: namespace keeps no history")

func (e *Engine) stream(namespace string) (*nsStream, error) {
	e.mu.Lock()
	s := e.streams[namespace]
	e.mu.Unlock()
	if s == nil {
		return nil, ErrNoHistory
	}
	return s, nil
}

// Epoch returns the epoch of a namespace's stream.
func (e *Engine) Epoch(namespace string) (string, error) {
	s, err := e.stream(namespace)
	if err != nil {
		return "", err
	}
	return s.epoch, nil
}

// ensureStream creates or updates a stream and returns its info. In a
// cluster that is still forming, creation fails until enough nodes are up;
// it is retried until ctx ends. Nodes of a new cluster create the same
// streams at the same moment, and JetStream may leave a create that races
// an identical one unanswered: attempts are short, and a stream that exists
// with the wanted settings is not updated again. An edge node creates
// nothing: it waits for the core's stream to exist.
func (e *Engine) ensureStream(ctx context.Context, cfg jetstream.StreamConfig) (*jetstream.StreamInfo, error) {
	var last error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout(attempt))
		info, err := e.ensureStreamOnce(actx, cfg)
		cancel()
		if err == nil {
			return info, nil
		}
		last = err
		if !retryableEnsure(err) {
			return nil, fmt.Errorf("engine: ensure stream %s: %w", cfg.Name, err)
		}
		e.log.Debug("stream not ready yet; retrying", "stream", cfg.Name, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("engine: ensure stream %s: %w", cfg.Name, errors.Join(last, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (e *Engine) ensureStreamOnce(ctx context.Context, cfg jetstream.StreamConfig) (*jetstream.StreamInfo, error) {
	st, err := e.js.Stream(ctx, cfg.Name)
	switch {
	case err == nil:
		info := st.CachedInfo()
		if e.cfg.Edge != "" || sameSettings(info.Config, cfg) {
			return info, nil
		}
		merged, kept := reconcileStream(info.Config, cfg, e.lowerLimitsAllowed())
		for _, k := range kept {
			e.log.Warn("stream setting not lowered: it applies to every node, and lowering it drops data or copies; to lower it for the whole cluster, restart one node with cluster.apply_lower_limits = true",
				"stream", cfg.Name, "setting", k.String())
		}
		if sameSettings(info.Config, merged) {
			return info, nil
		}
		st, err = e.js.UpdateStream(ctx, merged)
	case errors.Is(err, jetstream.ErrStreamNotFound) && e.cfg.Edge == "":
		st, err = e.js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = e.js.UpdateStream(ctx, cfg)
		}
	}
	if err != nil {
		return nil, err
	}
	return st.Info(ctx)
}

// sameLimit compares stream limits, where 0 (unset) and -1 both mean none.
func sameLimit(a, b int64) bool {
	if a <= 0 && b <= 0 {
		return true
	}
	return a == b
}

// sameSettings reports whether an existing stream already has every
// setting liveroom chooses (the server fills in the others).
func sameSettings(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Description == want.Description &&
		have.Storage == want.Storage && have.Replicas == want.Replicas &&
		sameLimit(have.MaxMsgsPerSubject, want.MaxMsgsPerSubject) && sameLimit(have.MaxMsgs, want.MaxMsgs) &&
		sameLimit(have.MaxBytes, want.MaxBytes) && sameLimit(int64(have.MaxMsgSize), int64(want.MaxMsgSize)) &&
		have.MaxAge == want.MaxAge &&
		have.Discard == want.Discard && have.AllowDirect == want.AllowDirect &&
		(want.Duplicates == 0 || have.Duplicates == want.Duplicates) &&
		reflect.DeepEqual(have.RePublish, want.RePublish)
}

// retryableEnsure reports errors that a forming cluster (or an edge whose
// core has not created the stream yet) outgrows.
func retryableEnsure(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeNoResources, 10005 /* no peers for placement yet */, 10008 /* cluster not available */, 10009 /* not leader */, 10059 /* stream not found */ :
			return true
		}
		return apiErr.Code == 503
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}

// AppendOnly reports whether the namespace's stream, as JetStream holds it
// now, refuses both message deletes and purges.
func (e *Engine) AppendOnly(ctx context.Context, namespace string) (bool, error) {
	s, err := e.stream(namespace)
	if err != nil {
		return false, err
	}
	st, err := e.js.Stream(ctx, s.name)
	if err != nil {
		return false, fmt.Errorf("engine: stream of namespace %q: %w", namespace, err)
	}
	cfg := st.CachedInfo().Config
	return cfg.DenyDelete && cfg.DenyPurge, nil
}
