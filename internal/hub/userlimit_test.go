package hub

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
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
