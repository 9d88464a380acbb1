// Command liveroom-bench is liveroom's load generator. It opens many
// WebSocket connections that speak the client protocol, publishes on a fixed
// schedule, measures publish-to-deliver latency, and reads the server's CPU
// time and memory from /proc.
//
//	liveroom-bench idle      --url http://127.0.0.1:8080 --data-dir DIR --server-pid PID --conns 5000
//	liveroom-bench broadcast --url http://127.0.0.1:8080 --data-dir DIR --server-pid PID --subs 5000 --rate 50
//	liveroom-bench broadcast … --find-saturation
//	liveroom-bench summarize < results.jsonl
//
// Each scenario prints one JSON result line on stdout, followed by a human
// summary whose lines start with "# ". Progress is logged on stderr.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: liveroom-bench SCENARIO [flags]

scenarios:
  idle        N connections, each subscribed to its own personal channel: memory and idle CPU
  broadcast   one channel, N subscribers, publications at a fixed rate (or --find-saturation)
  summarize   read result lines on stdin, print the median of each number per scenario

liveroom-bench SCENARIO -h lists the flags of a scenario.
`

// run is the whole program: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	switch args[0] {
	case "idle":
		err = runIdle(ctx, log, args[1:], stdout, stderr)
	case "broadcast":
		err = runBroadcast(ctx, log, args[1:], stdout, stderr)
	case "summarize":
		err = runSummarize(stdin, stdout)
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
