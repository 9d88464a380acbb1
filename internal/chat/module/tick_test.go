package module_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/chat"
	"github.com/liveroom-dev/liveroom/internal/chat/module"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// The module's tick loop switches automatic slow mode off by itself once
// the room has calmed down, with no command to trigger it: the state
// machine says when, the module's own clock says it is time.
func TestAutoSlowModeSwitchesOffByItself(t *testing.T) {
	node := testkit.Start(t, nil)
	cfg := chat.DefaultConfig()
	cfg.AutoSlowOnRate, cfg.AutoSlowOffRate = 1, 0.5
	cfg.AutoSlowWindow, cfg.AutoSlowCalmWindow, cfg.AutoSlowMinOn = 5*time.Second, 10*time.Second, 2*time.Second
	cfg.Defaults = wire.ChatSettings{AutoSlow: true, AutoSlowSeconds: 3, Links: wire.LinksAllow}
	var skew atomic.Int64 // the module's clock runs ahead by this much
	m := module.New(module.Config{Chat: cfg, Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }}, node.Server.Hub())
	m.Start()
	t.Cleanup(m.Stop)
	send := m.APIMethods()["chat_send"]
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, werr := send(ctx, []byte(fmt.Sprintf(`{"room":"busy","as":"u%d","text":"hello %d"}`, i, i))); werr != nil {
			t.Fatal(werr)
		}
	}
	store := node.Server.Hub().Modules()
	slowAuto := func() []bool {
		w, err := store.Read(ctx, wire.ChatChannel("busy"), 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		var out []bool
		for _, e := range w.Events {
			var ev wire.ChatEvent
			if json.Unmarshal(e.Data, &ev) == nil && ev.Type == wire.EventSlowAuto {
				out = append(out, ev.On)
			}
		}
		return out
	}
	if got := slowAuto(); len(got) != 1 || !got[0] {
		t.Fatalf("slow_auto events %v; want it switched on by the fifth message in a second", got)
	}
	skew.Store(int64(30 * time.Second)) // the room has been quiet for half a minute
	testkit.Eventually(t, 5*time.Second, func() bool { got := slowAuto(); return len(got) == 2 && !got[1] },
		"the tick loop switches it off")
}
