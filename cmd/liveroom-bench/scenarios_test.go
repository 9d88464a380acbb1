package main

import (
	"testing"
)

// Members publish over their own connections, JSON and Protobuf, in one
// process and in two: every publication reaches every member of its room.
func TestRoomsDeliverEveryPublicationToTheRoom(t *testing.T) {
	common := startNode(t)
	for _, c := range [][]string{{"ws", "json", "1"}, {"ws", "protobuf", "2"}, {"api", "json", "2"}} {
		via, proto, procs := c[0], c[1], c[2]
		t.Run(via+"-"+proto+"-"+procs, func(t *testing.T) {
			var res roomsResult
			text := runTool(t, &res, append([]string{"rooms", "--rooms", "5", "--members", "4", "--rate", "8",
				"--publish-via", via, "--proto", proto, "--procs", procs, "--prefix", "room:e2e-" + via + proto + procs + "-",
				"--warmup", "300ms", "--duration", "1s", "--max-others", "64"}, common...)...)
			t.Log(text)
			// 5 rooms × 8/s for 1.3 s, each to 4 members.
			if res.Published < 50 || res.PublishFailed != 0 || res.Undelivered != 0 || res.Gaps != 0 || res.Repeats != 0 || len(res.Ended) != 0 {
				t.Fatalf("published %d, failed %d (%v), undelivered %d, gaps %d, repeats %d, ended %v",
					res.Published, res.PublishFailed, res.PublishErrors, res.Undelivered, res.Gaps, res.Repeats, res.Ended)
			}
			if res.Latency.Count < 120 || res.Latency.Count > 200 || res.OfferedPerSec != 160 {
				t.Fatalf("latency count %d, offered %v", res.Latency.Count, res.OfferedPerSec)
			}
		})
	}
}

func TestConnectStormConnectsEveryone(t *testing.T) {
	common := startNode(t)
	for _, procs := range []string{"1", "2"} {
		var res stormResult
		text := runTool(t, &res, append([]string{"connect-storm", "--conns", "60", "--procs", procs}, common...)...)
		t.Log(text)
		if res.Connected != 60 || res.Failed != 0 || res.ServerClients < 60 || res.Setup.Count != 60 || res.Connect.Count != 60 || res.PerSec <= 0 {
			t.Fatalf("procs %s: %+v", procs, res)
		}
	}
}

// Recovery: every dropped subscriber comes back recovered, with nothing lost
// and nothing twice. Without recovery in the namespace the tool sees what
// was lost.
func TestReconnectStormCountsRecoveryAndLoss(t *testing.T) {
	common := startNode(t)
	for _, c := range [][]string{{"room:e2e-storm", "json", "1"}, {"room:e2e-storm-pb", "protobuf", "2"}} {
		t.Run(c[1]+"-"+c[2], func(t *testing.T) {
			var res reconnectResult
			text := runTool(t, &res, append([]string{"reconnect-storm", "--subs", "30", "--rate", "100", "--channel", c[0],
				"--proto", c[1], "--procs", c[2], "--warmup", "300ms", "--after", "300ms", "--reconnect-spread", "200ms"}, common...)...)
			t.Log(text)
			if res.TimedOut || res.Resubscribed != 30 || res.Recovered != 30 || res.NotRecovered != 0 || res.Loss.Lost != 0 ||
				res.Loss.Dup != 0 || res.Loss.Clients != 30 || res.Undelivered != 0 || res.Published < 50 || res.FinalOffset == 0 {
				t.Fatalf("%+v", res)
			}
		})
	}
	t.Run("no recovery", func(t *testing.T) {
		var res reconnectResult
		text := runTool(t, &res, append([]string{"reconnect-storm", "--subs", "20", "--rate", "200", "--channel", "norecover:x",
			"--warmup", "300ms", "--after", "300ms", "--reconnect-spread", "300ms"}, common...)...)
		t.Log(text)
		if res.Resubscribed != 20 || res.Recovered != 0 || res.Loss.Lost == 0 || res.Loss.WithLoss == 0 || res.Undelivered != res.Loss.Lost {
			t.Fatalf("%+v", res)
		}
	})
}
