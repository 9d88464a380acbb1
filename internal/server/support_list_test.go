package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/support"
	supportmodule "github.com/liveroom-dev/liveroom/internal/support/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// support_list reads at most MaxScan summaries (10,000 in production).
// The bucket lists keys in the order they were last written, so reading
// the first MaxScan of them listed the conversations that changed
// longest ago: past MaxScan conversations, a new one never appeared in
// support_list, not even with status "open". The scan keeps the most
// recently written ones.
func TestSupportListPastScanLimitShowsNewest(t *testing.T) {
	node := testkit.Start(t, nil)
	small := supportmodule.New(supportmodule.Config{Support: support.DefaultConfig(), MaxScan: 5}, node.Server.Hub()).APIMethods()
	var ids []string
	for i := range 8 {
		ids = append(ids, openSupport(t, chatUser(t, node, fmt.Sprintf("user%d", i), nil), "many", "help").ID)
	}
	newest := ids[len(ids)-1]
	for _, status := range []string{"", "open", wire.StatusQueued} {
		body := fmt.Sprintf(`{"status":%q}`, status)
		res, werr := small["support_list"](context.Background(), []byte(body))
		if werr != nil {
			t.Fatalf("support_list %s: %+v", body, werr)
		}
		list := res.(wire.SupportList).Conversations
		if len(list) != 5 || list[0].ID != newest && !listed(list, newest) {
			t.Fatalf("support_list %s past the scan limit = %v; want 5 conversations including the newest, %s", body, convIDs(list), newest)
		}
	}
}

func listed(list []wire.SupportConversation, id string) bool {
	for _, c := range list {
		if c.ID == id {
			return true
		}
	}
	return false
}

func convIDs(list []wire.SupportConversation) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.ID
	}
	return out
}
