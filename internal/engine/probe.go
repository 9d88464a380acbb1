package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The readiness probe takes the same path as a publication: written to a
// stream (stored, replicated), re-published by it, and delivered back to
// this node through the dispatch shards. A node whose link is up but whose
// deliveries stopped fails it.
const (
	probeStream     = "lr_probe"
	subjectProbeIn  = "lr.probe.in."
	subjectProbeOut = "lr.probe.out."
)

// prober matches probe publications with their deliveries.
type prober struct {
	next    atomic.Uint64
	mu      sync.Mutex               // guards sub and waiting
	sub     *nats.Subscription       // this node's probe deliveries, nil before EnsureProbe
	waiting map[string]chan struct{} // probe nonce → closed when delivered
}

// EnsureProbe creates the probe stream (a small memory stream) and
// subscribes this node to its probe deliveries. Edges wait for the core
// to create it.
func (e *Engine) EnsureProbe(ctx context.Context) error {
	_, err := e.ensureStream(ctx, jetstream.StreamConfig{
		Name:              probeStream,
		Description:       "liveroom readiness probes: one message per node",
		Subjects:          []string{subjectProbeIn + ">"},
		Storage:           jetstream.MemoryStorage,
		Replicas:          e.cfg.Replicas,
		MaxMsgsPerSubject: 1,
		MaxAge:            time.Minute,
		Discard:           jetstream.DiscardOld,
		RePublish:         &jetstream.RePublish{Source: subjectProbeIn + ">", Destination: subjectProbeOut + ">"},
	})
	if err != nil {
		return err
	}
	sub, err := e.dispatch.subscribe(e.nc, subjectProbeOut+e.instToken, func(m *nats.Msg) {
		e.probe.mu.Lock()
		if ch := e.probe.waiting[string(m.Data)]; ch != nil {
			close(ch)
			delete(e.probe.waiting, string(m.Data))
		}
		e.probe.mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("engine: subscribe to probe deliveries: %w", err)
	}
	if err := e.flush(ctx); err != nil {
		e.dispatch.unsubscribe(sub)
		return fmt.Errorf("engine: subscribe to probe deliveries: %w", err)
	}
	e.probe.mu.Lock()
	e.probe.sub = sub
	e.probe.waiting = make(map[string]chan struct{})
	e.probe.mu.Unlock()
	return nil
}

// Healthy returns nil when this node's link is up, its replicas are
// current (a clustered embedded server: NATS's own health check, which
// fails while a stream catches up), and a probe publication is stored and
// delivered back within ctx; otherwise the reason, in words for an
// operator. Without EnsureProbe it checks a core round trip and that
// JetStream answers.
func (e *Engine) Healthy(ctx context.Context) error {
	if l := e.Link(); !l.Up {
		return fmt.Errorf("%s (for %s)", l.Detail, time.Since(l.Since).Round(100*time.Millisecond))
	}
	if !e.nc.IsConnected() {
		return fmt.Errorf("NATS connection is %s", e.nc.Status())
	}
	if failed := e.StoreFailures(true); len(failed) > 0 {
		return storeFailuresError(failed)
	}
	if e.srv != nil && e.cfg.ClusterListen != "" {
		// A clustered node whose replicas are behind (just restarted, or
		// back from a partition) would answer reads with old data.
		if hs := e.srv.Healthz(&server.HealthzOptions{}); hs.Status != "ok" {
			return fmt.Errorf("this node's JetStream is not current yet: %s", hs.Error)
		}
	}
	e.probe.mu.Lock()
	ready := e.probe.sub != nil
	e.probe.mu.Unlock()
	if !ready {
		return e.roundTrip(ctx)
	}
	nonce := strconv.FormatUint(e.probe.next.Add(1), 10)
	done := make(chan struct{})
	e.probe.mu.Lock()
	e.probe.waiting[nonce] = done
	e.probe.mu.Unlock()
	defer func() {
		e.probe.mu.Lock()
		delete(e.probe.waiting, nonce)
		e.probe.mu.Unlock()
	}()
	start := time.Now()
	if _, err := e.js.Publish(ctx, subjectProbeIn+e.instToken, []byte(nonce)); err != nil {
		return fmt.Errorf("probe publication not stored: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("probe publication stored but not delivered back within %s: deliveries have stopped",
			time.Since(start).Round(time.Millisecond))
	}
}

// roundTrip checks that a message makes a round trip through the server
// and that JetStream answers.
func (e *Engine) roundTrip(ctx context.Context) error {
	inbox := nats.NewInbox()
	sub, err := e.nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("probe subscribe: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := e.nc.Publish(inbox, []byte("probe")); err != nil {
		return fmt.Errorf("probe publish: %w", err)
	}
	if _, err := sub.NextMsgWithContext(ctx); err != nil {
		return fmt.Errorf("probe publication did not come back: %w", err)
	}
	if _, err := e.js.AccountInfo(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return errors.New("JetStream did not answer in time")
		}
		return fmt.Errorf("JetStream not answering: %w", err)
	}
	return nil
}
