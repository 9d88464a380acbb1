package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Conversations opened in the same millisecond wait in the queue in one
// documented order (by id), not in the order the bucket lists them.
func TestSupportQueueTieBreakIsByID(t *testing.T) {
	node := testkit.Start(t, nil)
	at := time.UnixMilli(1_767_225_600_000)
	mod := supportmodule.New(supportmodule.Config{Support: support.DefaultConfig(), Now: func() time.Time { return at }}, node.Server.Hub())
	rpcs, api := mod.RPCMethods(), mod.APIMethods()
	for i := range 6 {
		data, _ := json.Marshal(wire.SupportOpenRequest{Room: "tie", Text: "help"})
		if _, err := rpcs[wire.MethodSupportOpen](context.Background(), hub.RPCCall{User: fmt.Sprintf("user%d", i), Method: wire.MethodSupportOpen, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	res, werr := api["support_queue"](context.Background(), []byte(`{}`))
	if werr != nil {
		t.Fatal(werr)
	}
	ids := convIDs(res.(wire.SupportQueue).Conversations)
	if len(ids) != 6 || !sort.StringsAreSorted(ids) {
		t.Fatalf("queue of conversations opened in one millisecond = %v; want all six by id", ids)
	}
}

// An index write of an earlier change, on another node, can put a
// resolved conversation's queue key back after the resolution removed
// it. The queue leaves it out, and removes the key, so it is not read on
// every queue from then on.
func TestSupportQueueRemovesResolvedLeftover(t *testing.T) {
	node := testkit.Start(t, nil)
	ada := chatUser(t, node, "ada", nil)
	conv := openSupport(t, ada, "left", "help")
	mustRPC(t, ada, wire.MethodSupportResolve, wire.SupportResolveRequest{ID: conv.ID}, nil)
	store := node.Server.Hub().Modules()
	ctx := context.Background()
	if _, err := store.KVPut(ctx, "support", hub.KVKey("q", conv.ID), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, node); len(q) != 0 {
		t.Fatalf("queue %+v; want the resolved conversation left out", q)
	}
	if _, _, err := store.KVGet(ctx, "support", hub.KVKey("q", conv.ID)); !errors.Is(err, hub.ErrKeyNotFound) {
		t.Fatalf("the resolved conversation's queue key after a queue read: %v; want it removed", err)
	}
}
