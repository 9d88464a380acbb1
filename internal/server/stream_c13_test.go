package server_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C13 over the fallback transports: one stream is written to by the ping
// sweep, the fan-out and the replies to its commands at once — 20
// publishers send 100 publications each to their own channel while the
// client sends 400 history and presence commands on concurrent emulation
// requests, and is pinged all along. It receives every publication in
// per-channel order and every reply once, each a valid frame (the stream
// reader fails on anything else), and is never disconnected. The race
// detector checks the writes.
func TestC13ConcurrentWritesToOneStream(t *testing.T) {
	const channels, perChannel, commands = 20, 100, 400
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(time.Second)
		c.Client.PongTimeout = config.Duration(900 * time.Millisecond)
		c.Client.CommandsPerSecond = 0
		c.Client.QueueMaxBytes = 16 << 20
	})
	name := func(i int) string { return fmt.Sprintf("room:c13s-%d", i) }
	for _, k := range streamKinds {
		t.Run(streamName(k.kind, k.proto), func(t *testing.T) {
			var subs []*protocol.Command
			for i := 0; i < channels; i++ {
				subs = append(subs, &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: name(i)}})
			}
			s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("c13s"), subs...)
			for _, c := range subs {
				if rep := s.Reply(c.Id); rep.Error != nil {
					t.Fatalf("subscribe: %+v", rep)
				}
			}
			before := make([]int, channels)
			for i := range before {
				before[i] = len(s.Pubs(name(i)))
			}
			var wg sync.WaitGroup
			for i := 0; i < channels; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for seq := 1; seq <= perChannel; seq++ {
						data, _ := json.Marshal(map[string]int{"seq": seq})
						if status, err := testkit.CallAPI(node.BaseURL, node.APIKey, "publish", map[string]any{"channel": name(i), "data": json.RawMessage(data)}, nil); err != nil || status != 200 {
							t.Errorf("publish: %d %v", status, err)
							return
						}
					}
				}()
			}
			ids := make([]uint32, commands)
			for j := range ids {
				ids[j] = s.NewID()
			}
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := w; j < commands; j += 8 {
						cmd := &protocol.Command{Id: ids[j], History: &protocol.HistoryRequest{Channel: name(j % channels), Limit: 1}}
						if j%2 == 1 {
							cmd = &protocol.Command{Id: ids[j], Presence: &protocol.PresenceRequest{Channel: name(j % channels)}}
						}
						if status, body, err := s.Send(cmd); err != nil || status != 204 {
							t.Errorf("emulation: %d %q %v", status, body, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			for _, id := range ids {
				if rep := s.Reply(id); rep.Error != nil {
					t.Fatalf("command %d: %+v", id, rep.Error)
				}
			}
			for i := 0; i < channels; i++ {
				pubs := s.WaitPubs(name(i), before[i]+perChannel, 30*time.Second)[before[i]:]
				for j, p := range pubs {
					var d struct{ Seq int }
					if err := json.Unmarshal(p.Data, &d); err != nil || d.Seq != j+1 {
						t.Fatalf("%s: publication %d has seq %d; want %d", name(i), j, d.Seq, j+1)
					}
				}
			}
			if d := s.Duplicates(); len(d) > 0 {
				t.Fatalf("replies received twice: %v", d)
			}
			for _, p := range s.Pushes() {
				if p.Disconnect != nil {
					t.Fatalf("disconnected: %+v", p.Disconnect)
				}
			}
		})
	}
}
