package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// The tool drives the peers in bench/peers as they are, started as the
// comparison script starts them: the Socket.IO peer with node (its npm
// packages installed with npm ci, as test.sh does), the centrifuge peer
// built from its own module.

// startPeerProcess runs name with args until the test ends, waits for its
// "listening on" line and returns the tool's common flags for it.
func startPeerProcess(t *testing.T, dataDir, name string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(name, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				found <- u
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case u := <-found:
		return []string{"--url", u, "--data-dir", dataDir, "--server-pid", fmt.Sprint(cmd.Process.Pid)}
	case <-exited:
		t.Fatalf("%s exited before listening:\n%s", name, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print its address", name)
	}
	return nil
}

func startSocketIOPeer(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(testkit.ModuleRoot(), "bench", "peers", "socketio")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "socket.io")); err != nil {
		t.Fatalf("the Socket.IO peer's packages are missing: run npm ci in bench/peers/socketio (test.sh does): %v", err)
	}
	data := t.TempDir()
	return startPeerProcess(t, data, "node", filepath.Join(dir, "server.js"), "--addr", "127.0.0.1:0", "--data-dir", data)
}

func startCentrifugePeer(t *testing.T) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "centrifuge-peer")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(testkit.ModuleRoot(), "bench", "peers", "centrifuge")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the centrifuge peer: %v\n%s", err, out)
	}
	data := t.TempDir()
	return startPeerProcess(t, data, bin, "--addr", "127.0.0.1:0", "--data-dir", data)
}

// The Engine.IO adapter: subscribers join a room and read every
// publication, in order, whether the API or the room's members publish; the
// connections stay open and are counted by the peer.
func TestSocketIOPeerBroadcastRoomsAndIdle(t *testing.T) {
	common := startSocketIOPeer(t)
	t.Run("broadcast", func(t *testing.T) {
		var res broadcastResult
		text := runTool(t, &res, append([]string{"broadcast", "--target", "socketio", "--subs", "20", "--rate", "40",
			"--warmup", "300ms", "--duration", "1s", "--channel", "room:e2e-b", "--max-others", "64"}, common...)...)
		t.Log(text)
		if res.Target != "socketio" || res.Published < 40 || res.PublishFailed != 0 || res.Undelivered != 0 || res.Gaps != 0 || res.Repeats != 0 {
			t.Fatalf("%+v", res)
		}
		if res.Latency.Count < 600 || res.Latency.Count > 1000 || res.CPU.ServerCPU <= 0 {
			t.Fatalf("latency %+v, cpu %+v", res.Latency, res.CPU)
		}
	})
	t.Run("rooms", func(t *testing.T) {
		var res roomsResult
		text := runTool(t, &res, append([]string{"rooms", "--target", "socketio", "--rooms", "5", "--members", "4", "--rate", "8",
			"--prefix", "room:e2e-r", "--warmup", "300ms", "--duration", "1s", "--max-others", "64", "--procs", "2"}, common...)...)
		t.Log(text)
		if res.Published < 50 || res.PublishFailed != 0 || res.Undelivered != 0 || res.Gaps != 0 || res.Repeats != 0 || len(res.Ended) != 0 {
			t.Fatalf("%+v", res)
		}
		if res.Latency.Count < 120 || res.Latency.Count > 200 {
			t.Fatalf("latency %+v", res.Latency)
		}
	})
	t.Run("idle", func(t *testing.T) {
		var res idleResult
		runTool(t, &res, append([]string{"idle", "--target", "socketio", "--conns", "30", "--settle", "100ms", "--window", "300ms"}, common...)...)
		if res.ServerClients != 30 || len(res.Ended) != 0 || len(res.Failed) != 0 || res.SettledMiB <= 0 {
			t.Fatalf("%+v", res)
		}
	})
}

// The centrifuge peer speaks liveroom's protocol: the same sessions, and
// its recovery is measured the same way.
func TestCentrifugePeerReconnectStormAndBroadcast(t *testing.T) {
	common := startCentrifugePeer(t)
	t.Run("reconnect-storm", func(t *testing.T) {
		var res reconnectResult
		text := runTool(t, &res, append([]string{"reconnect-storm", "--target", "centrifuge", "--subs", "30", "--rate", "100",
			"--channel", "room:e2e-storm", "--warmup", "300ms", "--after", "300ms", "--reconnect-spread", "200ms"}, common...)...)
		t.Log(text)
		if res.TimedOut || res.Resubscribed != 30 || res.Recovered != 30 || res.Loss.Lost != 0 || res.Loss.Dup != 0 ||
			res.Undelivered != 0 || res.Published < 50 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("broadcast-protobuf", func(t *testing.T) {
		var res broadcastResult
		text := runTool(t, &res, append([]string{"broadcast", "--target", "centrifuge", "--proto", "protobuf", "--subs", "20",
			"--rate", "40", "--warmup", "300ms", "--duration", "1s", "--channel", "room:e2e-pb", "--max-others", "64"}, common...)...)
		t.Log(text)
		if res.Target != "centrifuge-protobuf" || res.Published < 40 || res.Undelivered != 0 || res.Gaps != 0 || res.Repeats != 0 {
			t.Fatalf("%+v", res)
		}
	})
}
