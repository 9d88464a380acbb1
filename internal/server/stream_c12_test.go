package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C12 over the fallback transports: four cycles of a stream dropped, 3
// publications missed, and a new stream that subscribes with recover
// (offset and epoch; Last-Event-ID is not used, docs/protocol.md) —
// pipelined behind connect in the stream request on odd cycles, as a later
// emulation request on even ones. Every cycle recovers exactly the missed
// publications, in order, then the live one arrives once; the offsets end
// contiguous with no duplicates.
func TestC12RecoveryOverRepeatedStreamDrops(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, k := range streamKinds {
		t.Run(streamName(k.kind, k.proto), func(t *testing.T) {
			ch := "room:c12s-" + strings.ReplaceAll(streamName(k.kind, k.proto), "/", "-")
			sub := &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recoverable: true}}
			s := testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("c12"), sub)
			epoch := s.Reply(sub.Id).Subscribe.Epoch
			var got []uint64
			seq := 0
			publish := func(n int) {
				for i := 0; i < n; i++ {
					seq++
					node.Publish(ch, map[string]int{"seq": seq})
				}
			}
			publish(3)
			for _, p := range s.WaitPubs(ch, 3, 10*time.Second) {
				got = append(got, p.Offset)
			}
			for cycle := 1; cycle <= 4; cycle++ {
				s.Close()
				if _, err := s.WaitEnd(10 * time.Second); err == nil {
					t.Fatalf("cycle %d: the dropped stream did not end", cycle)
				}
				publish(3)
				last := got[len(got)-1]
				rec := &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Recoverable: true, Recover: true, Epoch: epoch, Offset: last}}
				var rep *protocol.Reply
				if cycle%2 == 1 {
					s = testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("c12"), rec)
					rep = s.Reply(rec.Id)
				} else {
					s = testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("c12"))
					rep = s.Call(rec)
				}
				if rep.Error != nil || rep.Subscribe == nil || !rep.Subscribe.Recovered || rep.Subscribe.Epoch != epoch {
					t.Fatalf("cycle %d: subscribe reply %+v; want recovered in epoch %s", cycle, rep, epoch)
				}
				if n := len(rep.Subscribe.Publications); n != 3 {
					t.Fatalf("cycle %d: %d publications recovered; want the 3 missed", cycle, n)
				}
				for _, p := range rep.Subscribe.Publications {
					got = append(got, p.Offset)
				}
				publish(1)
				live := s.WaitPubs(ch, 1, 10*time.Second)
				s.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}) // later than any publication
				if live = s.Pubs(ch); len(live) != 1 {
					t.Fatalf("cycle %d: %d live publications; want 1", cycle, len(live))
				}
				got = append(got, live[0].Offset)
			}
			for i, off := range got {
				if off != uint64(i+1) {
					t.Fatalf("offsets %v: position %d holds %d; want 1..%d, each once", got, i, off, seq)
				}
			}
			if len(got) != seq {
				t.Fatalf("%d publications; want %d", len(got), seq)
			}
			if d := s.Duplicates(); len(d) > 0 {
				t.Fatalf("replies received twice: %v", d)
			}
		})
	}
}
