package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Agents racing to claim one conversation through three nodes (the
// node's own module over real connections, and two more modules on the
// same engine): in every round exactly one claim wins, every other agent
// is told who was first, and the conversation's history holds exactly one
// "claimed" event. Same-node claims are serialised by the node; claims
// from different nodes by the expected offset of the append (the loser
// re-reads, decides again and finds it claimed).
func TestSupportClaimRaceHasOneWinner(t *testing.T) {
	node := testkit.Start(t, nil)
	nodes := []map[string]hub.RPCHandler{nil} // nil: over real connections to the node
	for range 2 {
		nodes = append(nodes, supportmodule.New(supportmodule.Config{Support: support.DefaultConfig()}, node.Server.Hub()).RPCMethods())
	}
	const rounds, agents = 8, 6
	clients := make([]*centrifuge.Client, agents)
	for i := range agents {
		clients[i] = chatUser(t, node, fmt.Sprintf("agent%d", i), agentRoles)
	}
	call := func(n map[string]hub.RPCHandler, method, user string, roles wire.Roles, req any) ([]byte, error) {
		data, _ := json.Marshal(req)
		return n[method](context.Background(), hub.RPCCall{User: user, Roles: roles, Method: method, Data: data})
	}

	for round := range rounds {
		user := fmt.Sprintf("user%d", round)
		raw, err := call(nodes[1+round%2], wire.MethodSupportOpen, user, nil, wire.SupportOpenRequest{Room: "race", Text: "help"})
		if err != nil {
			t.Fatal(err)
		}
		var opened wire.SupportOpenResult
		if err := json.Unmarshal(raw, &opened); err != nil {
			t.Fatal(err)
		}
		id := opened.Conversation.ID

		winners := make(chan string, agents)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range agents {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start // all at once
				agent := fmt.Sprintf("agent%d", i)
				var err error
				if n := nodes[i%len(nodes)]; n == nil {
					err = rpc(clients[i], wire.MethodSupportClaim, wire.SupportIDRequest{ID: id}, nil)
				} else {
					_, err = call(n, wire.MethodSupportClaim, agent, agentRoles, wire.SupportIDRequest{ID: id})
				}
				var ce *centrifuge.Error
				var we *wire.Error
				switch {
				case err == nil:
					winners <- agent
				case errors.As(err, &ce) && ce.Code == wire.CodeSupportClaimed, errors.As(err, &we) && we.Code == wire.CodeSupportClaimed:
				default:
					t.Errorf("round %d: %s's claim: %v; want success or %d", round, agent, err, wire.CodeSupportClaimed)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		close(winners)
		var won []string
		for w := range winners {
			won = append(won, w)
		}
		if len(won) != 1 {
			t.Fatalf("round %d: claims won by %v; want exactly one agent", round, won)
		}

		var hist struct {
			Publications []struct {
				Data wire.SupportEvent `json:"data"`
			} `json:"publications"`
		}
		if status := node.API("history", map[string]any{"channel": wire.SupportChannel(id), "limit": -1}, &hist); status != http.StatusOK {
			t.Fatalf("history: %d", status)
		}
		var claims []string
		for _, p := range hist.Publications {
			if p.Data.Type == wire.SupportClaimed {
				claims = append(claims, p.Data.Agent)
			}
		}
		if len(claims) != 1 || claims[0] != won[0] {
			t.Fatalf("round %d: history has claims %v; want exactly %s's", round, claims, won[0])
		}
	}
}

// One tap too many, or two tabs: a user has one open conversation. Opens
// racing from two connections and two nodes all get the same one (the
// later ones marked existing, their text sent in it); support.current
// finds it; once the user withdraws it, the next open is a new one.
func TestSupportOpenRacesGiveOneConversation(t *testing.T) {
	node := testkit.Start(t, nil)
	other := supportmodule.New(supportmodule.Config{Support: support.DefaultConfig()}, node.Server.Hub()).RPCMethods()
	tabs := []*centrifuge.Client{chatUser(t, node, "ada", nil), chatUser(t, node, "ada", nil)}
	ids := make(chan string, 4)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			req := wire.SupportOpenRequest{Room: "tabs", Text: fmt.Sprintf("tap %d", i)}
			var res wire.SupportOpenResult
			if i < 2 {
				if err := rpc(tabs[i], wire.MethodSupportOpen, req, &res); err != nil {
					t.Error(err)
					return
				}
			} else {
				data, _ := json.Marshal(req)
				raw, err := other[wire.MethodSupportOpen](context.Background(), hub.RPCCall{User: "ada", Method: wire.MethodSupportOpen, Data: data})
				if err != nil || json.Unmarshal(raw, &res) != nil {
					t.Errorf("open through the other node: %v", err)
					return
				}
			}
			ids <- res.Conversation.ID
		}(i)
	}
	close(start)
	wg.Wait()
	close(ids)
	var first string
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Fatalf("racing opens got conversations %s and %s; want one", first, id)
		}
	}
	var tr wire.SupportTranscript
	mustRPC(t, tabs[0], wire.MethodSupportTranscript, wire.SupportIDRequest{ID: first}, &tr)
	if tr.Conversation.Messages != 4 {
		t.Fatalf("conversation %+v; want all four taps' texts in it", tr.Conversation)
	}
	var cur wire.SupportCurrentResult
	mustRPC(t, tabs[1], wire.MethodSupportCurrent, struct{}{}, &cur)
	if cur.Conversation == nil || cur.Conversation.ID != first {
		t.Fatalf("support.current = %+v; want %s", cur, first)
	}
	mustRPC(t, tabs[1], wire.MethodSupportResolve, wire.SupportResolveRequest{ID: first}, nil)
	cur = wire.SupportCurrentResult{}
	mustRPC(t, tabs[0], wire.MethodSupportCurrent, struct{}{}, &cur)
	if cur.Conversation != nil {
		t.Fatalf("support.current after withdrawing = %+v; want none", cur.Conversation)
	}
	if next := openSupport(t, tabs[0], "tabs", "again"); next.ID == first {
		t.Fatal("an open after the resolution returned the resolved conversation")
	}
}
