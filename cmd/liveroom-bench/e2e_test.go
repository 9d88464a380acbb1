package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// TestMain lets the test binary be a child tool process (--procs): the
// parent starts os.Executable() with the agent environment variable.
func TestMain(m *testing.M) {
	if os.Getenv(agentEnv) == "1" {
		os.Exit(run(context.Background(), []string{"agent"}, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

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

// nodeConfig raises the admission limits and adds a namespace with history
// but without recovery: a resubscribe cannot get back what it missed.
const nodeConfig = `
[client]
max_connections_per_ip = 0
commands_per_second = 0
accept_rate = 0

[[namespaces]]
name = "norecover"
history_size = 100
subscribe = "authenticated"
publish = "authenticated"
`

// startNode runs the liveroom binary as its own process (a server inside
// the test process would hand its sockets to the tool's child processes,
// which inherit every descriptor not marked close-on-exec) and returns the
// tool's common flags for it.
func startNode(t *testing.T) []string {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "liveroom.toml")
	if err := os.WriteFile(cfg, []byte(nodeConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	p := testkit.StartProcess(t, data, "--config", cfg, "--demo=false")
	return []string{"--url", p.BaseURL, "--data-dir", data, "--server-pid", fmt.Sprint(p.Pid())}
}

func TestBroadcastDeliversEveryPublicationInOrder(t *testing.T) {
	common := startNode(t)
	for _, c := range [][]string{{"api", "json", "1"}, {"ws", "json", "1"}, {"api", "protobuf", "1"}, {"api", "protobuf", "2"}} {
		via, proto, procs := c[0], c[1], c[2]
		t.Run(via+"-"+proto+"-"+procs, func(t *testing.T) {
			var res broadcastResult
			text := runTool(t, &res, append([]string{"broadcast", "--subs", "20", "--rate", "40", "--proto", proto, "--procs", procs,
				"--warmup", "300ms", "--duration", "1s", "--publish-via", via, "--channel", "room:e2e-" + via + proto + procs, "--max-others", "64"}, common...)...)
			t.Log(text)
			if res.Published < 40 || res.PublishFailed != 0 || res.Undelivered != 0 || res.Gaps != 0 || res.Repeats != 0 {
				t.Fatalf("published %d, failed %d, undelivered %d, gaps %d, repeats %d",
					res.Published, res.PublishFailed, res.Undelivered, res.Gaps, res.Repeats)
			}
			// About 40 publications × 20 subscribers in the 1 s window.
			if res.Latency.Count < 600 || res.Latency.Count > 1000 || res.Latency.P50MS <= 0 || res.Latency.MaxMS < res.Latency.P99MS {
				t.Fatalf("latency %+v", res.Latency)
			}
			if res.CPU.ServerCPU <= 0 || res.CPU.ServerRSSMiB <= 0 || res.CPU.ToolProcs != 1+2*btoi(procs == "2") {
				t.Fatalf("cpu %+v", res.CPU)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestIdleCountsEveryConnection(t *testing.T) {
	common := startNode(t)
	for _, procs := range []string{"1", "3"} {
		var res idleResult
		runTool(t, &res, append([]string{"idle", "--conns", "30", "--settle", "100ms", "--window", "300ms", "--procs", procs}, common...)...)
		if res.ServerClients != 30 || res.ServerSubs != 30 || len(res.Ended) != 0 || len(res.Failed) != 0 || res.SettledMiB <= 0 {
			t.Fatalf("procs %s: got %+v", procs, res)
		}
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
