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
// just before the first append of an event of type on ("claimed" if
// empty) it lets another writer (standing for another node) append its
// own event.
type interleaved struct {
	hub.ModuleStore
	on    string
	once  sync.Once
	other func(ctx context.Context, channel string, expected uint64) error
	err   error
}

func (s *interleaved) Append(ctx context.Context, channel string, data []byte, author *protocol.ClientInfo, expected uint64) (hub.StreamPosition, error) {
	on := s.on
	if on == "" {
		on = wire.SupportClaimed
	}
	var ev wire.SupportEvent
	if json.Unmarshal(data, &ev) == nil && ev.Type == on {
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

// Regression: a user opening again while their conversation is being
// resolved on another node (its text about to be sent in it) used to be
// answered 1202 "this conversation was resolved; open a new one" by
// support.open itself. The open now opens the new one, with the text.
func TestOpenRacingAResolutionOpensANewConversation(t *testing.T) {
	node := testkit.Start(t, nil)
	real := node.Server.Hub().Modules()
	store := &interleaved{ModuleStore: real, on: wire.SupportMessage}
	store.other = func(ctx context.Context, channel string, expected uint64) error {
		data, _ := json.Marshal(wire.SupportEvent{Type: wire.SupportResolved, At: 1, Outcome: wire.OutcomeSolved})
		_, err := real.Append(ctx, channel, data, nil, expected)
		return err
	}
	m := module.New(module.Config{Support: support.DefaultConfig()}, host{Hub: node.Server.Hub(), store: store})
	rpc := m.RPCMethods()
	open := func(text string) (wire.SupportOpenResult, error) {
		data, _ := json.Marshal(wire.SupportOpenRequest{Room: "lobby", Text: text})
		raw, err := rpc[wire.MethodSupportOpen](context.Background(), hub.RPCCall{User: "ada", Method: wire.MethodSupportOpen, Data: data})
		var res wire.SupportOpenResult
		if err == nil {
			err = json.Unmarshal(raw, &res)
		}
		return res, err
	}
	first, err := open("help")
	if err != nil {
		t.Fatal(err)
	}
	second, err := open("it froze again")
	if store.err != nil {
		t.Fatalf("the other node's resolution: %v", store.err)
	}
	if err != nil || second.Existing || second.Conversation.ID == first.Conversation.ID || second.Conversation.Text != "it froze again" {
		t.Fatalf("open racing a resolution = %+v, %v; want a new conversation with the text", second, err)
	}
}
