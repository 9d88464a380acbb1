package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if os.Getenv(agentEnv) == "1" {
		args = []string{"agent"}
	}
	code := run(ctx, args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: liveroom-bench SCENARIO [flags]

scenarios:
  idle             N connections, each subscribed to its own personal channel: memory and idle CPU
  broadcast        one channel, N subscribers, publications at a fixed rate (or --find-saturation)
  rooms            R rooms × M members, members publishing at a rate per room
  connect-storm    C new connections at once: connections/s, set-up latency, failures by kind
  reconnect-storm  N subscribers of one channel dropped at once, back with recovery: loss, duplicates, time
  summarize        read result lines on stdin, print the median of each number per scenario
  table            read result lines on stdin, print side-by-side markdown tables (compare.sh)

Every scenario takes --target liveroom|centrifuge|socketio, --proto json|protobuf and --procs K.

liveroom-bench SCENARIO -h lists the flags of a scenario.
`

// run is the whole program: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	stderr = shareable(stderr)
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	switch args[0] {
	case "idle":
		err = runIdle(ctx, log, args[1:], stdout, stderr)
	case "broadcast":
		err = runBroadcast(ctx, log, args[1:], stdout, stderr)
	case "rooms":
		err = runRooms(ctx, log, args[1:], stdout, stderr)
	case "connect-storm":
		err = runConnStorm(ctx, log, args[1:], stdout, stderr)
	case "reconnect-storm":
		err = runReconnect(ctx, log, args[1:], stdout, stderr)
	case "agent":
		err = runAgent(ctx, log, stdin, stdout)
	case "summarize":
		err = runSummarize(args[1:], stdin, stdout, stderr)
	case "table":
		err = runTable(stdin, stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "liveroom-bench: unknown scenario %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case err == errUsage:
		return 2
	default:
		log.Error("liveroom-bench failed", "err", err)
		return 1
	}
}

// shareable returns w ready for concurrent writers: the logger and, with
// --procs, one copying goroutine per child process (os/exec copies a
// child's output into a writer that is not a file). A file is shared by
// the kernel, and children then write to it directly.
func shareable(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{w: w}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
