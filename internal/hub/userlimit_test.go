package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/wire"
)

// deleteFailsBroker answers ConnectionDelete with an error the first
// failures times, as an engine does while it is too busy to answer in
// time, and records the calls. Every other Broker method is left unset:
// forgetConnection calls none.
type deleteFailsBroker struct {
	Broker
	mu       sync.Mutex
	failures int
	calls    int
	deleted  []string
}

func (b *deleteFailsBroker) ConnectionDelete(ctx context.Context, user, client string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if b.calls <= b.failures {
		return errors.New("engine: connection delete: context deadline exceeded")
	}
	b.deleted = append(b.deleted, user+"/"+client)
	return nil
}

func (b *deleteFailsBroker) state() (calls int, deleted []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls, append([]string(nil), b.deleted...)
}

func startedHubWith(t *testing.T, b Broker) *Hub {
	t.Helper()
	h, err := New(Config{PresenceTTL: time.Minute}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

func stopBackground(h *Hub) {
	h.cancel()
	h.bgMu.Lock()
	h.bgStopped = true
	h.bgMu.Unlock()
	h.wg.Wait()
}

// A refused or closed connection's record that the engine could not remove
// in time is removed by a background retry, so it does not count against
// the user until the presence TTL.
func TestConnectionRecordRemovalIsRetried(t *testing.T) {
	b := &deleteFailsBroker{failures: 2}
	h := startedHubWith(t, b)
	defer stopBackground(h)
	h.forgetConnection("alice", "c1")
	deadline := time.Now().Add(20 * time.Second)
	for {
		calls, deleted := b.state()
		if len(deleted) == 1 {
			if deleted[0] != "alice/c1" || calls != 3 {
				t.Fatalf("removed %v after %d attempts; want alice/c1 after 3", deleted, calls)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("record not removed after %d attempts", calls)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A retry in progress ends when the hub stops.
func TestConnectionRecordRetryStopsWithTheHub(t *testing.T) {
	b := &deleteFailsBroker{failures: 1 << 30}
	h := startedHubWith(t, b)
	h.forgetConnection("bob", "c2")
	deadline := time.Now().Add(20 * time.Second)
	for calls, _ := b.state(); calls < 2; calls, _ = b.state() {
		if time.Now().After(deadline) {
			t.Fatal("no retry was made")
		}
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { stopBackground(h); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the hub's background work did not stop: the retry kept running")
	}
}

// warnCounter counts log records at WARN and above.
type warnCounter struct {
	mu    sync.Mutex
	warns []string
}

func (w *warnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.mu.Lock()
		w.warns = append(w.warns, r.Message)
		w.mu.Unlock()
	}
	return nil
}
func (w *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnCounter) WithGroup(string) slog.Handler      { return w }

// A removal that fails after the hub stopped (connections still closing
// while the node shuts down, its engine closed) is left to the presence
// TTL quietly: no warning about a retry that cannot run, and no retry.
func TestConnectionRecordRemovalAfterStopIsNotRetried(t *testing.T) {
	b := &deleteFailsBroker{failures: 1 << 30}
	logs := &warnCounter{}
	h, err := New(Config{PresenceTTL: time.Minute, Logger: slog.New(logs)}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	stopBackground(h)
	h.forgetConnection("carol", "c3")
	h.wg.Wait()
	if calls, _ := b.state(); calls != 1 {
		t.Fatalf("%d removal attempts after the hub stopped; want the one", calls)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.warns) != 0 {
		t.Fatalf("warnings after the hub stopped: %q", logs.warns)
	}
}

// unansweredBroker fails every connection record write, as an engine does
// that cannot answer within userLimitWait (a stream electing its leader,
// or one swamped by a user's connect bursts). Every other Broker method is
// left unset: admitUser calls none of them after a failed write.
type unansweredBroker struct{ Broker }

func (unansweredBroker) ConnectionPut(context.Context, string, string) error {
	return errors.New("engine: connection put: context deadline exceeded")
}

// When the engine cannot count a user's connections, the connection is let
// in on this node's own count, which is exact: the per-user limit still
// holds on the node (a burst of one user used to slip past it once the
// engine's count slowed down), and a refused connect gives its place back.
func TestPerUserLimitHoldsOnTheNodeWhenTheEngineDoesNotAnswer(t *testing.T) {
	h := startedHubWith(t, unansweredBroker{})
	defer stopBackground(h)
	h.cfg.MaxConnectionsPerUser = 3
	var admitted []*Client
	for i := range 5 {
		c := &Client{id: fmt.Sprint("c", i), remote: netip.MustParseAddrPort("127.0.0.1:1")}
		if err := h.clients.add(c, 0); err != nil {
			t.Fatal(err)
		}
		werr := h.admitUser(context.Background(), c, "ann")
		switch {
		case werr == nil:
			h.clients.bindUser(c, "ann", true)
			admitted = append(admitted, c)
		case werr.Code != wire.CodeLimitExceeded || !strings.Contains(werr.Message, "(3)"):
			t.Fatalf("connect %d refused with %d %q; want 106 naming the limit", i, werr.Code, werr.Message)
		}
	}
	if len(admitted) != 3 {
		t.Fatalf("%d of 5 connects admitted with a limit of 3", len(admitted))
	}
	h.clients.remove(admitted[0], "ann", true)
	c := &Client{id: "c5", remote: netip.MustParseAddrPort("127.0.0.1:1")}
	if werr := h.admitUser(context.Background(), c, "ann"); werr != nil {
		t.Fatalf("a connect after one of 3 closed: %v", werr.Message)
	}
	h.clients.bindUser(c, "ann", true)
	if n := len(h.clients.userClients("ann")); n != 3 || len(h.clients.admitting) != 0 {
		t.Fatalf("%d connections bound and %v being admitted; want 3 and none", n, h.clients.admitting)
	}
}

// elsewhereBroker answers the cluster-wide count with a fixed number of
// connections on other nodes, as an engine does whose other nodes hold
// them. Every other Broker method is left unset: admitUser calls none but
// these.
type elsewhereBroker struct {
	Broker
	elsewhere int
}

func (elsewhereBroker) ConnectionPut(context.Context, string, string) error    { return nil }
func (elsewhereBroker) ConnectionDelete(context.Context, string, string) error { return nil }
func (b elsewhereBroker) ConnectionsElsewhereBefore(context.Context, string, string) (int, error) {
	return b.elsewhere, nil
}

// The limit counts this node's connections exactly and adds those on
// other nodes: with 2 elsewhere and a limit of 3, one connection gets in
// here and the next is refused.
func TestPerUserLimitAddsOtherNodesToThisNodesCount(t *testing.T) {
	h := startedHubWith(t, elsewhereBroker{elsewhere: 2})
	defer stopBackground(h)
	h.cfg.MaxConnectionsPerUser = 3
	admitted := 0
	for i := range 3 {
		c := &Client{id: fmt.Sprint("c", i), remote: netip.MustParseAddrPort("127.0.0.1:1")}
		if err := h.clients.add(c, 0); err != nil {
			t.Fatal(err)
		}
		if werr := h.admitUser(context.Background(), c, "ann"); werr == nil {
			h.clients.bindUser(c, "ann", true)
			admitted++
		}
	}
	if admitted != 1 || h.clients.userConnections("ann") != 1 {
		t.Fatalf("%d admitted, %d counted here; want 1 and 1", admitted, h.clients.userConnections("ann"))
	}
}
