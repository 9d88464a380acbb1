package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// A feature's append is the live delivery and the history entry at once
// (design D4), and a stale expected offset stores nothing.
func TestModuleStoreAppendIsDeliveredAndExclusive(t *testing.T) {
	node := testkit.Start(t, nil)
	store := node.Server.Hub().Modules()
	ctx := context.Background()
	ch := "room:module"

	viewer := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("viewer")})
	_, rec := subscribe(t, viewer, ch, centrifuge.SubscriptionConfig{})

	author := &protocol.ClientInfo{User: "alice", Client: "c1"}
	pos, err := store.Append(ctx, ch, []byte(`{"type":"msg","text":"hi"}`), author, 0)
	if err != nil || pos.Offset != 1 {
		t.Fatalf("first append = %+v, %v; want offset 1", pos, err)
	}
	if _, err := store.Append(ctx, ch, []byte(`{"type":"msg","text":"late"}`), author, 0); !errors.Is(err, hub.ErrOffsetMoved) {
		t.Fatalf("append with a stale expected offset: %v; want ErrOffsetMoved", err)
	}
	if _, err := store.Append(ctx, ch, []byte(`{"type":"msg","text":"second"}`), nil, 1); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() == 2 }, "both appended events delivered live")
	rec.mu.Lock()
	first, second := rec.pubs[0], rec.pubs[1]
	rec.mu.Unlock()
	if string(first.Data) != `{"type":"msg","text":"hi"}` || first.Info == nil || first.Info.User != "alice" || second.Offset != 2 {
		t.Fatalf("delivered %q (info %+v) then offset %d; want the first event with its author, then offset 2", first.Data, first.Info, second.Offset)
	}
	w, err := store.Read(ctx, ch, 0, -1)
	if err != nil || len(w.Events) != 2 || w.Top != 2 || w.Events[0].Author.GetUser() != "alice" || string(w.Events[1].Data) != `{"type":"msg","text":"second"}` {
		t.Fatalf("read = %+v, %v; want the two events with top 2", w, err)
	}
	if _, err := store.Append(ctx, "nosuchns:x", []byte(`{}`), nil, 0); err == nil {
		t.Fatal("append to an unknown namespace succeeded")
	}

	key := hub.KVKey("user", "alice@example.com")
	if key != "user.alice=40example=2Ecom" {
		t.Fatalf("KVKey = %q", key)
	}
	rev, err := store.KVCreate(ctx, "test", key, []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.KVUpdate(ctx, "test", key, []byte("2"), rev+100); !errors.Is(err, hub.ErrRevisionMoved) {
		t.Fatalf("update at a wrong revision: %v; want ErrRevisionMoved", err)
	}
	if _, _, err := store.KVGet(ctx, "test", hub.KVKey("user", "nobody")); !errors.Is(err, hub.ErrKeyNotFound) {
		t.Fatalf("get missing: %v; want ErrKeyNotFound", err)
	}
}
