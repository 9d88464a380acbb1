// Command ceiling measures the physical ceiling of WebSocket fan-out on this
// machine: how fast one thread can write pre-encoded frames to N loopback
// sockets, one frame per write or all waiting frames in one write. No
// protocol runs over the connections.
//
//	GOMAXPROCS=1 taskset -c 0 ceiling serve  -addr 127.0.0.1:0 -conns 5000 -count 200 -size 128 -coalesce=false
//	GOMAXPROCS=1 taskset -c 1 ceiling client -url http://127.0.0.1:PORT -conns 5000 -count 200 -size 128
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: ceiling serve|client [flags]

  serve   accept -conns WebSocket connections, write -count frames of -size
          bytes to each as fast as possible, print the rate and CPU time;
          with -rate, write one stamped frame to every connection at that
          rate for -duration instead (the floor of a broadcast's latency)
  client  open -conns connections to a serve and count the frames; with
          -latency, also report send-to-read latency percentiles

ceiling serve -h and ceiling client -h list the flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, log, args[1:], stdout, stderr)
	case "client":
		err = runClientCmd(ctx, log, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ceiling: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		log.Error("ceiling failed", "err", err)
		return 1
	}
}

func runServe(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := flag.NewFlagSet("ceiling serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	fs.IntVar(&cfg.conns, "conns", 1000, "connections to accept before writing")
	fs.IntVar(&cfg.count, "count", 100, "frames to write to each connection")
	fs.IntVar(&cfg.size, "size", 128, "payload bytes of each frame")
	fs.BoolVar(&cfg.coalesce, "coalesce", false, "false: one frame per write call; true: the frames waiting for a connection in one write")
	fs.IntVar(&cfg.batch, "batch", 0, "with -coalesce: at most this many frames per write (0: all that are left)")
	fs.Float64Var(&cfg.rate, "rate", 0, "publications per second, each one frame to every connection, stamped with its due time (0: write -count frames as fast as possible)")
	fs.DurationVar(&cfg.duration, "duration", 30*time.Second, "with -rate: how long to publish (-count is ignored)")
	fs.DurationVar(&cfg.startDelay, "start-delay", time.Second, "pause between the last connection and the first write")
	fs.DurationVar(&cfg.drainLimit, "drain-timeout", 30*time.Second, "longest wait for the send queues to empty after the writes")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if cfg.conns < 1 || cfg.count < 1 || cfg.size < 0 || cfg.batch < 0 {
		fmt.Fprintln(stderr, "ceiling serve: -conns and -count must be positive, -size and -batch not negative")
		return errUsage
	}
	if cfg.rate < 0 || (cfg.rate > 0 && (cfg.size < minStampedSize || cfg.duration <= 0 || cfg.rate*cfg.duration.Seconds() < 1)) {
		fmt.Fprintf(stderr, "ceiling serve: -rate must not be negative; with -rate, -size must be at least %d (room for the send time) and -duration must hold at least one publication\n", minStampedSize)
		return errUsage
	}
	return serve(ctx, log, cfg, stdout)
}

func runClientCmd(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	var cfg clientConfig
	fs := flag.NewFlagSet("ceiling client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "", "the server, as in its \"listening on\" line")
	fs.IntVar(&cfg.conns, "conns", 1000, "connections (the server's -conns)")
	fs.IntVar(&cfg.count, "count", 100, "frames each connection must receive (the server's -count)")
	fs.IntVar(&cfg.size, "size", 128, "payload bytes of each frame (the server's -size)")
	fs.IntVar(&cfg.sourceAddrs, "source-addrs", 8, "dial from 127.0.0.1 … 127.0.0.N")
	fs.IntVar(&cfg.dialers, "dialers", 16, "connections being opened at once")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "give up counting after this long")
	fs.BoolVar(&cfg.latency, "latency", false, "read the send time in each frame of a paced serve (-rate) and report latency percentiles; -count is then rate × duration")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if cfg.url == "" || cfg.conns < 1 || cfg.count < 1 || cfg.size < 0 {
		fmt.Fprintln(stderr, "ceiling client: -url is required; -conns and -count must be positive")
		return errUsage
	}
	if cfg.latency && cfg.size < minStampedSize {
		fmt.Fprintf(stderr, "ceiling client: -latency needs -size of at least %d\n", minStampedSize)
		return errUsage
	}
	return runClient(ctx, log, cfg, stdout)
}

// writeResult prints v as one JSON line.
func writeResult(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s\n", data); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
