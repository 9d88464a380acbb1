//go:build linux

package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/internal/testkit/fslimit"
)

// When a namespace's store fails to write (here: the file-size limit, as a
// full disk or the open-file limit would), the NATS server keeps the error
// until it restarts and stops answering that stream's writes. The node
// must say so: publishes are refused with a temporary error that says the
// node needs a restart, /readyz fails naming the stream, and everything
// acknowledged before stays readable.
func TestStoreWriteErrorIsReportedNotWaitedOn(t *testing.T) {
	var dir string
	node := testkit.Start(t, func(c *config.Config) { dir = c.DataDir })
	var stored uint64
	var out struct {
		Offset uint64 `json:"offset"`
		apiError
	}
	if status := node.API("publish", map[string]any{"channel": "room:fail", "data": map[string]int{"n": 0}}, &out); status != 200 {
		t.Fatalf("first publish: %d %+v", status, out.Error)
	}
	stored = out.Offset

	restore := fslimit.Lower(t, dir, 16<<10)

	pad := strings.Repeat("x", 4<<10)
	var refused *apiError
	for i := 0; i < 200 && refused == nil; i++ {
		out.Error = nil
		status := node.API("publish", map[string]any{"channel": "room:fail", "data": map[string]string{"pad": pad}}, &out)
		switch {
		case status == 200:
			stored = out.Offset
		case status == http.StatusServiceUnavailable && out.Error != nil:
			refused = &out.apiError
		default:
			t.Fatalf("publish %d: status %d %+v; want 200, or 503 once the store fails", i, status, out.Error)
		}
	}
	restore()
	if refused == nil {
		t.Fatal("the store never failed past the file-size limit")
	}
	if msg := refused.Error.Message; !refused.Error.Temporary || !strings.Contains(msg, "restart") || !strings.Contains(msg, "not stored") {
		t.Fatalf("refusal %+v; want a temporary error saying it was not stored and the node needs a restart", refused.Error)
	}
	if n := strings.Count(refused.Error.Message, "store failed"); n != 1 || !strings.Contains(refused.Error.Message, `namespace "room"`) {
		t.Fatalf("refusal %q: want the namespace named and the failure said once", refused.Error.Message)
	}

	status, ready := readiness(t, node)
	if status != http.StatusServiceUnavailable || !strings.Contains(ready.Reason, `namespace "room"`) || !strings.Contains(ready.Reason, "lr_ns_room") ||
		!strings.Contains(ready.Reason, "restart") || strings.Contains(ready.Reason, dir) {
		t.Fatalf("readyz = %d %+v; want 503 naming the room namespace and its stream, asking for a restart, without the store's path", status, ready)
	}
	var h struct{ Offset uint64 }
	node.API("history", map[string]any{"channel": "room:fail", "limit": 0}, &h)
	if h.Offset < stored {
		t.Fatalf("top offset %d; want at least %d (every acknowledged publication kept)", h.Offset, stored)
	}
}
