package module_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	"github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// interleaved is the real module store of a real node, with one twist:
// just before the first append of a "claimed" event it lets another
// writer (standing for another node) append its own claim.
type interleaved struct {
	hub.ModuleStore
	once  sync.Once
	other func(ctx context.Context, channel string, expected uint64) error
	err   error
}

func (s *interleaved) Append(ctx context.Context, channel string, data []byte, author *protocol.ClientInfo, expected uint64) (hub.StreamPosition, error) {
	var ev wire.SupportEvent
	if json.Unmarshal(data, &ev) == nil && ev.Type == wire.SupportClaimed {
		s.once.Do(func() { s.err = s.other(ctx, channel, expected) })
	}
	return s.ModuleStore.Append(ctx, channel, data, author, expected)
}

type host struct {
	*hub.Hub
	store hub.ModuleStore
}

func (h host) Modules() hub.ModuleStore { return h.store }

// Regression: an agent whose claim loses the append race to another
// node's claim (decided on the same state) must not claim too: the
// module re-reads, decides again, and answers "claimed by … first".
func TestClaimLosingTheAppendRaceDecidesAgain(t *testing.T) {
	node := testkit.Start(t, nil)
	real := node.Server.Hub().Modules()
	store := &interleaved{ModuleStore: real}
	store.other = func(ctx context.Context, channel string, expected uint64) error {
		data, _ := json.Marshal(wire.SupportEvent{Type: wire.SupportClaimed, At: 1, Agent: "kim"})
		_, err := real.Append(ctx, channel, data, nil, expected)
		return err
	}
	m := module.New(module.Config{Support: support.DefaultConfig()}, host{Hub: node.Server.Hub(), store: store})
	rpc := m.RPCMethods()
	ctx := context.Background()
	call := func(method, user string, roles wire.Roles, req any) ([]byte, error) {
		data, _ := json.Marshal(req)
		return rpc[method](ctx, hub.RPCCall{User: user, Roles: roles, Method: method, Data: data})
	}

	raw, err := call(wire.MethodSupportOpen, "ada", nil, wire.SupportOpenRequest{Room: "lobby", Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	var opened wire.SupportOpenResult
	if err := json.Unmarshal(raw, &opened); err != nil {
		t.Fatal(err)
	}
	_, err = call(wire.MethodSupportClaim, "sam", wire.Roles{wire.SupportScope: {wire.RoleAgent}}, wire.SupportIDRequest{ID: opened.Conversation.ID})
	if store.err != nil {
		t.Fatalf("the other node's claim: %v", store.err)
	}
	var werr *wire.Error
	if !errors.As(err, &werr) || werr.Code != wire.CodeSupportClaimed || werr.Message != `conversation "`+opened.Conversation.ID+`" was claimed by kim first` {
		t.Fatalf("sam's claim after losing the race: %v; want %d naming kim", err, wire.CodeSupportClaimed)
	}
	w, err := real.Read(ctx, wire.SupportChannel(opened.Conversation.ID), 0, -1)
	if err != nil || len(w.Events) != 2 {
		t.Fatalf("history %+v, %v; want opened and one claim", w, err)
	}
}
