package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	centrifugego "github.com/centrifugal/centrifuge-go"
)

// recorder keeps what one subscription saw.
type recorder struct {
	mu         sync.Mutex
	offsets    []uint64
	subscribed []centrifugego.SubscribedEvent
	joins      int
	err        error
}

func (r *recorder) attach(s *centrifugego.Subscription) {
	s.OnPublication(func(e centrifugego.PublicationEvent) {
		r.mu.Lock()
		r.offsets = append(r.offsets, e.Offset)
		r.mu.Unlock()
	})
	s.OnSubscribed(func(e centrifugego.SubscribedEvent) {
		r.mu.Lock()
		r.subscribed = append(r.subscribed, e)
		r.mu.Unlock()
	})
	s.OnJoin(func(centrifugego.JoinEvent) {
		r.mu.Lock()
		r.joins++
		r.mu.Unlock()
	})
	s.OnError(func(e centrifugego.SubscriptionErrorEvent) {
		r.mu.Lock()
		r.err = e.Error
		r.mu.Unlock()
	})
}

func (r *recorder) snapshot() (offsets []uint64, subs []centrifugego.SubscribedEvent, joins int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.offsets), slices.Clone(r.subscribed), r.joins, r.err
}

func subscribe(t *testing.T, c *centrifugego.Client, channel string) *recorder {
	t.Helper()
	s, err := c.NewSubscription(channel)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	r.attach(s)
	if err := s.Subscribe(); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSmokeRoom: 100 clients (half JSON, half Protobuf) in room:x receive
// API publications with consecutive offsets; one disconnects, misses three
// publications and gets exactly those back, recovered, on reconnect.
func TestSmokeRoom(t *testing.T) {
	base := startPeer(t)
	const n = 100
	clients := make([]*centrifugego.Client, n)
	recs := make([]*recorder, n)
	for i := range n {
		clients[i] = newClient(t, base, fmt.Sprintf("user-%d", i), i%2 == 1)
		recs[i] = subscribe(t, clients[i], "room:x")
		if i == 0 {
			// Client 0 counts the others' joins below: it must be in the
			// channel before any of them arrives, or it misses their joins.
			eventually(t, 10*time.Second, "client 0 subscribed", func() bool {
				_, subs, _, _ := recs[0].snapshot()
				return len(subs) == 1
			})
		}
	}
	eventually(t, 10*time.Second, "all subscribed", func() bool {
		for _, r := range recs {
			if _, subs, _, _ := r.snapshot(); len(subs) != 1 {
				return false
			}
		}
		return true
	})
	if _, subs, _, _ := recs[0].snapshot(); !subs[0].Recoverable || !subs[0].Positioned {
		t.Fatalf("room:x subscription is not recoverable: %+v", subs[0])
	}
	eventually(t, 20*time.Second, "join pushes", func() bool { _, _, j, _ := recs[0].snapshot(); return j >= n-1 })

	first := apiPublish(t, base, "room:x", `{"n":1}`)
	if first.Offset != 1 || first.Epoch == "" {
		t.Fatalf("first publish answered %+v, want offset 1 and an epoch", first)
	}
	waitOffsets(t, recs, []uint64{1})

	// Client 0 drops, three publications happen, it comes back.
	if err := clients[0].Disconnect(); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		if res := apiPublish(t, base, "room:x", fmt.Sprintf(`{"n":%d}`, i)); res.Offset != uint64(i) || res.Epoch != first.Epoch {
			t.Fatalf("publish %d answered %+v", i, res)
		}
	}
	waitOffsets(t, recs[1:], []uint64{1, 2, 3, 4})
	if err := clients[0].Connect(); err != nil {
		t.Fatal(err)
	}
	waitOffsets(t, recs[:1], []uint64{1, 2, 3, 4})
	_, subs, _, _ := recs[0].snapshot()
	if last := subs[len(subs)-1]; len(subs) != 2 || !last.WasRecovering || !last.Recovered {
		t.Fatalf("resubscribe after reconnect: %+v, want recovered", subs)
	}

	// A client publication reaches everyone with the next offset.
	if _, err := clients[1].Publish(context.Background(), "room:x", []byte(`{"n":5}`)); err != nil {
		t.Fatalf("client publish: %v", err)
	}
	waitOffsets(t, recs, []uint64{1, 2, 3, 4, 5})
	t.Logf("%d clients: 5 publications each, in order; client 0 recovered offsets 2–4 after a reconnect", n)
}

func waitOffsets(t *testing.T, recs []*recorder, want []uint64) {
	t.Helper()
	eventually(t, 10*time.Second, fmt.Sprintf("offsets %v", want), func() bool {
		for _, r := range recs {
			if got, _, _, _ := r.snapshot(); len(got) < len(want) {
				return false
			}
		}
		return true
	})
	for i, r := range recs {
		if got, _, _, _ := r.snapshot(); !slices.Equal(got, want) {
			t.Fatalf("client %d got offsets %v, want %v", i, got, want)
		}
	}
}

// TestPersonalAndTokenChannels: personal:<user> only for that user; a
// token's channels are subscribed at connect and are all it may use.
func TestPersonalAndTokenChannels(t *testing.T) {
	base := startPeer(t)
	alice := newClient(t, base, "alice", false)
	own := subscribe(t, alice, "personal:alice")
	other := subscribe(t, alice, "personal:bob")
	eventually(t, 5*time.Second, "personal subscribe results", func() bool {
		_, subs, _, _ := own.snapshot()
		_, _, _, err := other.snapshot()
		return len(subs) == 1 && err != nil
	})
	var se *centrifugego.Error
	if _, _, _, err := other.snapshot(); !errors.As(err, &se) || se.Code != 103 {
		t.Fatalf("personal:bob for alice: %v, want error 103", err)
	}
	if res := apiPublish(t, base, "personal:alice", `"hi"`); res.Offset != 1 {
		t.Fatalf("personal publish answered %+v", res)
	}
	waitOffsets(t, []*recorder{own}, []uint64{1})

	var (
		mu     sync.Mutex
		server []string
	)
	restricted := newClientWith(t, base, "carol", true, []string{"room:only"}, func(c *centrifugego.Client) {
		c.OnSubscribed(func(e centrifugego.ServerSubscribedEvent) {
			mu.Lock()
			server = append(server, e.Channel)
			mu.Unlock()
		})
	})
	eventually(t, 5*time.Second, "server-side subscription", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(server, []string{"room:only"})
	})
	denied := subscribe(t, restricted, "room:x")
	eventually(t, 5*time.Second, "refusal outside the token's channels", func() bool {
		_, _, _, err := denied.snapshot()
		return errors.As(err, &se) && se.Code == 103
	})
}

// TestAPI: key check, history, info.
func TestAPI(t *testing.T) {
	base := startPeer(t)
	if code := apiCall(t, base, "wrong-key-wrong-key", "publish", `{"channel":"room:a","data":1}`, nil); code != http.StatusUnauthorized {
		t.Fatalf("wrong key: status %d", code)
	}
	if code := apiCall(t, base, testAPIKey, "publish", `{"channel":"room:a","data":1,"extra":2}`, nil); code != http.StatusBadRequest {
		t.Fatalf("unknown field: status %d", code)
	}
	if code := apiCall(t, base, testAPIKey, "publish", `{"channel":"nope:a","data":1}`, nil); code != http.StatusNotFound {
		t.Fatalf("unknown namespace: status %d", code)
	}
	for i := 1; i <= 3; i++ {
		apiPublish(t, base, "room:a", fmt.Sprint(i))
	}
	var h historyAnswer
	if code := apiCall(t, base, testAPIKey, "history", `{"channel":"room:a","limit":-1,"since":{"offset":1}}`, &h); code != http.StatusOK {
		t.Fatalf("history: status %d", code)
	}
	if h.Offset != 3 || len(h.Publications) != 2 || h.Publications[0].Offset != 2 || string(h.Publications[1].Data) != "3" {
		t.Fatalf("history answered %+v", h)
	}
	if code := apiCall(t, base, testAPIKey, "history", `{"channel":"room:a","limit":1,"since":{"offset":1,"epoch":"other"}}`, nil); code != http.StatusConflict {
		t.Fatalf("history with a wrong epoch: status %d", code)
	}
	newClient(t, base, "dave", false)
	var info struct {
		Nodes []infoNode `json:"nodes"`
	}
	eventually(t, 5*time.Second, "info counts the client", func() bool {
		return apiCall(t, base, testAPIKey, "info", `{}`, &info) == http.StatusOK && len(info.Nodes) == 1 && info.Nodes[0].Clients == 1
	})
}
