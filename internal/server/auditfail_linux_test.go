//go:build linux

package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/internal/testkit/fslimit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Once the audit log's store has failed on the node, moderation is refused
// with the store's error instead of going on without audit entries: at
// most the action in flight when the store failed (which found out by
// timing out) lacks its entry, as with a crash between the two writes.
func TestModerationStopsWhenTheAuditStoreFails(t *testing.T) {
	var dir string
	node := testkit.Start(t, func(c *config.Config) { dir = c.DataDir })
	const room = "m"
	reason := strings.Repeat("r", 200)
	moderate := func(i int) (int, *wire.Error) {
		act := wire.ActTimeout
		if i%2 == 1 {
			act = wire.ActUntimeout
		}
		return chatAPI(t, node, "chat_moderate", map[string]any{"room": room, "action": act, "user": "v1", "seconds": 600, "reason": reason}, nil)
	}
	// Audit entries are the largest records here: after these the audit
	// stream's file is the largest, so it is the first to pass the limit.
	for i := range 40 {
		if status, werr := moderate(i); status != http.StatusOK {
			t.Fatalf("moderation %d before the limit: %d %+v", i, status, werr)
		}
	}
	restore := fslimit.Lower(t, dir, 16<<10)
	var refused *wire.Error
	for i := 40; i < 400 && refused == nil; i++ {
		if status, werr := moderate(i); status != http.StatusOK {
			if status != http.StatusServiceUnavailable || werr == nil || !werr.Temporary {
				t.Fatalf("moderation %d: %d %+v; want 200, or 503 once a store fails", i, status, werr)
			}
			refused = werr
		}
	}
	restore()
	if refused == nil {
		t.Fatal("no store failed past the file-size limit")
	}
	if !strings.Contains(refused.Message, "not stored") || !strings.Contains(refused.Message, "restart") {
		t.Fatalf("refusal %q; want the store's error", refused.Message)
	}
	// Every stored moderation event has its audit entry, but the one in
	// flight when the audit store failed.
	var h struct {
		Publications []struct {
			Data json.RawMessage `json:"data"`
		} `json:"publications"`
	}
	if status := node.API("history", map[string]any{"channel": wire.ChatChannel(room), "limit": 1000}, &h); status != http.StatusOK {
		t.Fatalf("history: %d", status)
	}
	actions := 0
	for _, p := range h.Publications {
		var ev struct{ Type string }
		if json.Unmarshal(p.Data, &ev) == nil && (ev.Type == wire.ActTimeout || ev.Type == wire.ActUntimeout) {
			actions++
		}
	}
	var audit wire.ChatAuditResult
	if status, werr := chatAPI(t, node, "chat_audit", map[string]any{"room": room, "limit": 1000}, &audit); status != http.StatusOK {
		t.Fatalf("chat_audit: %d %+v", status, werr)
	}
	if actions < 40 || actions-len(audit.Entries) > 1 {
		t.Fatalf("%d moderation actions stored, %d audit entries: at most one may lack its entry", actions, len(audit.Entries))
	}
}
