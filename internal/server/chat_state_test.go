package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/chat"
	chatmodule "github.com/liveroom-dev/liveroom/internal/chat/module"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// A room's state outlives its history: with a history of only 20 events,
// a ban decided 60 events ago still holds after a restart (loaded from
// the snapshot plus the events after it).
func TestChatStateSurvivesRestartPastHistory(t *testing.T) {
	dir := t.TempDir()
	small := func(c *config.Config) {
		c.DataDir = dir
		c.Chat.RateMessages = 100
		for i := range c.Namespaces {
			if c.Namespaces[i].Name == "chat" {
				c.Namespaces[i].HistorySize = 20
			}
		}
	}
	const room = "long"
	t.Run("before", func(t *testing.T) {
		node := testkit.Start(t, small)
		mia := chatUser(t, node, "mia", modRoles)
		mustRPC(t, mia, wire.MethodChatModerate, wire.ChatModerateRequest{Room: room, Action: wire.ActBan, User: "bob"}, nil)
		mustRPC(t, mia, wire.MethodChatSettings, wire.ChatSettingsRequest{Room: room, Set: &wire.ChatSettingsPatch{
			SlowMode: new(0), AutoSlow: new(false), AutoSlowSeconds: new(0), MembersOnly: new(false), Links: new(wire.LinksAllow)}}, nil)
		for i := 0; i < 60; i++ {
			mustRPC(t, mia, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: fmt.Sprintf("message %d", i)}, nil)
		}
	})
	t.Run("after", func(t *testing.T) {
		node := testkit.Start(t, small)
		var h struct {
			Publications []struct{ Offset uint64 } `json:"publications"`
		}
		node.API("history", map[string]any{"channel": wire.ChatChannel(room), "limit": -1}, &h)
		if len(h.Publications) != 20 || h.Publications[0].Offset <= 2 {
			t.Fatalf("history keeps %d events from offset %d; the test needs the ban trimmed away", len(h.Publications), h.Publications[0].Offset)
		}
		bob := chatUser(t, node, "bob", nil)
		wantCode(t, rpc(bob, wire.MethodChatSend, wire.ChatSendRequest{Room: room, Text: "am I back?"}, nil), wire.CodeChatBanned, "a ban older than history, after a restart")
		var st wire.ChatState
		mustRPC(t, bob, wire.MethodChatState, wire.ChatRoomRequest{Room: room}, &st)
		if st.Settings.Links != wire.LinksAllow || !st.Me.Banned {
			t.Fatalf("state after restart %+v; want the settings and the ban", st)
		}
	})
}

// Two modules on one engine stand for two nodes: their writes to the same
// room race, and every decision is still exclusive. A user sending 30
// messages as fast as possible, half through each, gets exactly the 20
// the rate limit allows; the room's offsets stay contiguous and every
// accepted message is there once.
func TestChatTwoWritersStayConsistent(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "race"
	other := chatmodule.New(chatmodule.Config{Chat: chat.DefaultConfig()}, node.Server.Hub())
	t.Cleanup(other.Stop)
	viewer := chatUser(t, node, "viewer", nil)
	_, rec := subscribe(t, viewer, wire.ChatChannel(room), centrifuge.SubscriptionConfig{})
	apis := []map[string]chatmodule.APIMethod{other.APIMethods(), nil}

	var mu sync.Mutex
	accepted, limited := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"room":%q,"as":"eve","text":"message %d"}`, room, i)
			var code uint32
			if api := apis[i%2]; api != nil {
				if _, werr := api["chat_send"](context.Background(), []byte(body)); werr != nil {
					code = werr.Code
				}
			} else {
				status, err := testkit.CallAPI(node.BaseURL, node.APIKey, "chat_send", rawJSON(body), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if status != 200 {
					code = wire.CodeChatRateLimited
					if status != 429 {
						t.Errorf("chat_send: status %d", status)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch code {
			case 0:
				accepted++
			case wire.CodeChatRateLimited:
				limited++
			default:
				t.Errorf("send %d: code %d", i, code)
			}
		}(i)
	}
	wg.Wait()
	if accepted != 20 || limited != 10 {
		t.Fatalf("accepted %d, rate limited %d; want 20 and 10", accepted, limited)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return rec.count() == 20 }, "20 messages delivered")
	seen := map[string]bool{}
	for i, ev := range events(rec) {
		if seen[ev.Text] {
			t.Fatalf("%q delivered twice", ev.Text)
		}
		seen[ev.Text] = true
		if off := rec.offsets()[i]; off != uint64(i+1) {
			t.Fatalf("offset %d at position %d; want contiguous from 1", off, i)
		}
	}
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
