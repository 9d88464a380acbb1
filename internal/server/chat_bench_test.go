package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/chat"
	chatmodule "github.com/liveroom-dev/liveroom/internal/chat/module"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// BenchmarkChatSend is the cost of one chat.send in one room through the
// module (decide, append, apply), from many users, with no subscriber:
// the room's capacity on one node, since a room's commands run one at a
// time on a node.
func BenchmarkChatSend(b *testing.B) {
	node := testkit.Start(b, func(c *config.Config) { c.Chat.RateMessages = 1 << 30; c.Chat.AutoSlowSeconds = 0 })
	cfg := chat.DefaultConfig()
	cfg.RateMessages, cfg.Defaults.AutoSlow = 1<<30, false
	send := chatmodule.New(chatmodule.Config{Chat: cfg}, node.Server.Hub()).APIMethods()["chat_send"]
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := fmt.Sprintf(`{"room":"bench","as":"u%d","text":"message %d"}`, i%500, i)
		if _, werr := send(ctx, []byte(body)); werr != nil {
			b.Fatal(werr)
		}
	}
}
