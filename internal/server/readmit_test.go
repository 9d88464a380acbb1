package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// TestBlockMissedByACutOffNodeIsAppliedWhenItRejoins: block_user stores
// the block and tells every node to close the user's connections, once.
// A node cut off at that moment (a partition, a frozen process) never got
// the message, and the blocked user kept receiving messages there after
// it came back. Once its link is back, a node must check its connections
// against the stored records again. Here the block is stored without the
// message (as the cut-off node saw it), and the node's rejoin runs.
func TestBlockMissedByACutOffNodeIsAppliedWhenItRejoins(t *testing.T) {
	node := testkit.Start(t, nil)
	mallory := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	mallory.Connect(node.Token("mallory"))
	alice := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	alice.Connect(node.Token("alice"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	record := []byte(`{"blocked":true,"blocked_reason":"spam"}`)
	if _, err := node.Server.Hub().Modules().KVPut(ctx, "userguard", hub.KVKey("mallory"), record); err != nil {
		t.Fatalf("store the block: %v", err)
	}
	node.Server.Hub().Resync() // what a node runs when its routes come back

	code, reason := mallory.Closed(15 * time.Second)
	if code != int(wire.DisconnectUserBlocked.Code) {
		t.Fatalf("blocked user's connection closed with %d %q; want %d", code, reason, wire.DisconnectUserBlocked.Code)
	}
	// Others stay.
	if rep := alice.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}); rep.Error != nil {
		t.Fatalf("alice after the check: %+v", rep.Error)
	}
}
