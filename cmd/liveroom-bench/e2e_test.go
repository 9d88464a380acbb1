package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// runTool runs the tool against node and decodes its result line.
func runTool(t *testing.T, out any, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	line, _, _ := bytes.Cut(stdout.Bytes(), []byte("\n"))
	if err := json.Unmarshal(line, out); err != nil {
		t.Fatalf("result line %q: %v", line, err)
	}
	return stdout.String()
}

func startNode(t *testing.T) (*testkit.Node, []string) {
	n := testkit.Start(t, func(c *config.Config) {
		c.Client.MaxConnectionsPerIP = 0
		c.Client.CommandsPerSecond = 0
	})
	return n, []string{"--url", n.BaseURL, "--data-dir", n.Config.DataDir, "--server-pid", fmt.Sprint(os.Getpid())}
}

func TestBroadcastDeliversEveryPublicationInOrder(t *testing.T) {
	_, common := startNode(t)
	for _, via := range []string{"api", "ws"} {
		t.Run(via, func(t *testing.T) {
			var res broadcastResult
			text := runTool(t, &res, append([]string{"broadcast", "--subs", "20", "--rate", "40",
				"--warmup", "300ms", "--duration", "1s", "--publish-via", via, "--channel", "room:e2e-" + via, "--max-others", "64"}, common...)...)
			t.Log(text)
			if res.Published < 40 || res.PublishFailed != 0 || res.Undelivered != 0 || res.Gaps != 0 || res.Repeats != 0 {
				t.Fatalf("published %d, failed %d, undelivered %d, gaps %d, repeats %d",
					res.Published, res.PublishFailed, res.Undelivered, res.Gaps, res.Repeats)
			}
			// About 40 publications × 20 subscribers in the 1 s window.
			if res.Latency.Count < 600 || res.Latency.Count > 1000 || res.Latency.P50MS <= 0 || res.Latency.MaxMS < res.Latency.P99MS {
				t.Fatalf("latency %+v", res.Latency)
			}
			if res.CPU.ServerCPU <= 0 || res.CPU.ServerRSSMiB <= 0 {
				t.Fatalf("cpu %+v", res.CPU)
			}
		})
	}
}

func TestIdleCountsEveryConnection(t *testing.T) {
	_, common := startNode(t)
	var res idleResult
	runTool(t, &res, append([]string{"idle", "--conns", "30", "--settle", "100ms", "--window", "300ms"}, common...)...)
	if res.ServerClients != 30 || res.ServerSubs != 30 || len(res.Ended) != 0 || res.SettledMiB <= 0 {
		t.Fatalf("got %+v", res)
	}
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{}, {"nope"}, {"broadcast", "--subs", "0", "--api-key", "k", "--token-secret", "0123456789abcdef0123456789abcdef"}, {"idle", "--bogus"}} {
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
