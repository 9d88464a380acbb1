package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/support"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Every conversation appends to two shared channels: the agents' queue
// (supportq:main) and its room's support audit log. Many users opening at
// once, on one node and over three, must leave one queue entry and one
// audit entry per conversation: a node used to race itself for those
// channels' next offset and drop entries after a few lost races, so the
// agents' live queue missed new conversations and the audit log missed
// who asked for help.
func TestSupportConcurrentOpensLoseNoQueueOrAuditEntry(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("nodes=%d", nodes), func(t *testing.T) {
			node := testkit.Start(t, nil)
			var mods []map[string]hub.RPCHandler
			for range nodes {
				mods = append(mods, supportmodule.New(supportmodule.Config{Support: support.DefaultConfig()}, node.Server.Hub()).RPCMethods())
			}
			const users, room = 60, "busy"
			opened := make(chan string, users)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					data, _ := json.Marshal(wire.SupportOpenRequest{Room: room, Text: "help"})
					raw, err := mods[i%nodes][wire.MethodSupportOpen](context.Background(), hub.RPCCall{User: fmt.Sprintf("user%d", i), Method: wire.MethodSupportOpen, Data: data})
					var res wire.SupportOpenResult
					if err == nil {
						err = json.Unmarshal(raw, &res)
					}
					if err != nil {
						t.Errorf("open: %v", err)
						return
					}
					opened <- res.Conversation.ID
				}()
			}
			close(start)
			wg.Wait()
			close(opened)
			want := map[string]bool{}
			for id := range opened {
				want[id] = true
			}
			if len(want) != users {
				t.Fatalf("%d conversations opened; want %d", len(want), users)
			}

			var queue struct {
				Publications []struct {
					Data wire.SupportQueueEvent `json:"data"`
				} `json:"publications"`
			}
			if status := node.API("history", map[string]any{"channel": wire.SupportQueueChannel, "limit": -1}, &queue); status != http.StatusOK {
				t.Fatalf("queue history: %d", status)
			}
			seen := map[string]int{}
			for _, p := range queue.Publications {
				seen[p.Data.Conversation.ID]++
			}
			var audit struct {
				Publications []struct {
					Data wire.AuditEntry `json:"data"`
				} `json:"publications"`
			}
			if status := node.API("history", map[string]any{"channel": wire.SupportAuditChannel(room), "limit": -1}, &audit); status != http.StatusOK {
				t.Fatalf("audit history: %d", status)
			}
			audited := map[string]int{}
			for _, p := range audit.Publications {
				if p.Data.Action == support.AuditOpen {
					audited[p.Data.ID]++
				}
			}
			for id := range want {
				if seen[id] != 1 || audited[id] != 1 {
					t.Errorf("conversation %s: %d queue entries and %d audit entries; want one each", id, seen[id], audited[id])
				}
			}
			if len(queue.Publications) != users || len(audit.Publications) != users {
				t.Fatalf("%d queue entries and %d audit entries for %d opens; want one each", len(queue.Publications), len(audit.Publications), users)
			}
		})
	}
}
