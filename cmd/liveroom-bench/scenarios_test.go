package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Members publish over their own connections, JSON and Protobuf, in one
// process and in two: every publication reaches every member of its room.
func TestRoomsDeliverEveryPublicationToTheRoom(t *testing.T) {
	common := startNode(t)
	for _, c := range [][]string{{"ws", "json", "1", "intended"}, {"ws", "protobuf", "2", "sent"}, {"api", "json", "2", "intended"}} {
		via, proto, procs, stamp := c[0], c[1], c[2], c[3]
		t.Run(via+"-"+proto+"-"+procs+"-"+stamp, func(t *testing.T) {
			var res roomsResult
			text := runTool(t, &res, append([]string{"rooms", "--rooms", "5", "--members", "4", "--rate", "8", "--stamp", stamp,
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
			if res.Stamp != stamp {
				t.Fatalf("stamp %q, want %q", res.Stamp, stamp)
			}
			// Over the ws, every member publication's lateness is recorded
			// (warm-up included); the API publisher has none.
			if late := res.SendLateness; (via == "ws") != (late != nil) || (late != nil && (late.Count < uint64(res.Published) || late.P50MS < 0)) {
				t.Fatalf("send lateness %+v with %d published via %s", late, res.Published, via)
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

// --latency-log writes every delivery of the measurement window, one file
// per tool process, in arrival order: as many as the latency histogram
// counted, each from a connection of the run.
func TestLatencyLogHoldsEveryDeliveryOfTheWindow(t *testing.T) {
	common := startNode(t)
	prefix := filepath.Join(t.TempDir(), "lat")
	var res roomsResult
	text := runTool(t, &res, append([]string{"rooms", "--rooms", "4", "--members", "5", "--rate", "10",
		"--procs", "2", "--prefix", "room:e2e-latlog-", "--latency-log", prefix,
		"--warmup", "300ms", "--duration", "1s", "--max-others", "64"}, common...)...)
	t.Log(text)
	if res.Latency.Count == 0 {
		t.Fatalf("no deliveries measured: %+v", res)
	}
	files, err := filepath.Glob(prefix + "-p*-w*.tsv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no latency log files under %s (%v)", prefix, err)
	}
	// The result is the last window: the highest window number of each process.
	last := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		proc := base[:strings.LastIndex(base, "-w")]
		if cur, ok := last[proc]; !ok || windowOf(t, f) > windowOf(t, cur) {
			last[proc] = f
		}
	}
	if len(last) != 2 {
		t.Fatalf("latency logs of %d processes (%v); want 2", len(last), files)
	}
	rows := 0
	for _, f := range last {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if !strings.HasPrefix(lines[0], "# received_unix_ns") {
			t.Fatalf("%s: header %q", f, lines[0])
		}
		prev := int64(0)
		for _, line := range lines[1:] {
			var at, lat int64
			var conn int
			if n, err := fmt.Sscanf(line, "%d\t%d\t%d", &at, &lat, &conn); n != 3 || err != nil {
				t.Fatalf("%s: line %q: %v", f, line, err)
			}
			if at < prev || lat < 0 || conn < 0 || conn >= 20 {
				t.Fatalf("%s: line %q out of order or out of range (previous arrival %d)", f, line, prev)
			}
			prev = at
			rows++
		}
	}
	if uint64(rows) != res.Latency.Count {
		t.Fatalf("latency logs hold %d deliveries; the histogram counted %d", rows, res.Latency.Count)
	}
}

func windowOf(t *testing.T, path string) int {
	t.Helper()
	var w int
	base := strings.TrimSuffix(filepath.Base(path), ".tsv")
	if _, err := fmt.Sscanf(base[strings.LastIndex(base, "-w"):], "-w%d", &w); err != nil {
		t.Fatalf("window of %s: %v", path, err)
	}
	return w
}
