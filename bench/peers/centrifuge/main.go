// Command centrifuge-peer is a benchmark peer for liveroom: a minimal server
// on the centrifuge library (its defaults, its memory engine) that speaks the
// same client protocol at /connection/websocket, verifies liveroom's
// connection tokens, has liveroom's built-in namespaces and answers the
// publish, history and info methods of liveroom's server API.
//
//	GOMAXPROCS=1 taskset -c 0 centrifuge-peer --addr 127.0.0.1:0 --data-dir DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/centrifugal/centrifuge"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line.
type options struct {
	addr          string
	dataDir       string
	tokenSecret   string
	apiKey        string
	queueMaxBytes int
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("centrifuge-peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address (host:port) to listen on; port 0 picks a free one")
	fs.StringVar(&o.dataDir, "data-dir", "", "directory whose secrets.json (liveroom's format, created if missing) holds the token secret and API key")
	fs.StringVar(&o.tokenSecret, "token-secret", getenv("CENTRIFUGE_PEER_TOKEN_SECRET"), "HS256 token secret (env CENTRIFUGE_PEER_TOKEN_SECRET)")
	fs.StringVar(&o.apiKey, "api-key", getenv("CENTRIFUGE_PEER_API_KEY"), "server API key (env CENTRIFUGE_PEER_API_KEY)")
	fs.IntVar(&o.queueMaxBytes, "queue-max-bytes", 0, "the library's ClientQueueMaxSize in bytes; 0 keeps its default (1 MiB)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.dataDir != "" && (o.tokenSecret == "" || o.apiKey == "") {
		s, err := loadOrCreateSecrets(o.dataDir)
		if err != nil {
			return o, err
		}
		o.tokenSecret = firstSet(o.tokenSecret, s.TokenSecret)
		o.apiKey = firstSet(o.apiKey, s.APIKey)
	}
	if o.tokenSecret == "" || o.apiKey == "" {
		return o, errors.New("give --data-dir, or --token-secret and --api-key")
	}
	return o, nil
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// run is the whole program: it serves until ctx ends and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	o, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "centrifuge-peer:", err)
		return 2
	}
	if err := serve(ctx, o, log, stdout); err != nil {
		log.Error("centrifuge-peer failed", "err", err)
		return 1
	}
	return 0
}

// serve runs the peer on o.addr until ctx ends.
func serve(ctx context.Context, o options, log *slog.Logger, stdout io.Writer) error {
	p, err := newPeer(peerConfig{tokenSecret: o.tokenSecret, apiKey: o.apiKey, queueMaxBytes: o.queueMaxBytes, log: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		_ = p.shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: p.mux(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())

	select {
	case <-ctx.Done():
	case err = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = fmt.Errorf("http shutdown: %w", serr)
	}
	if ctx.Err() != nil { // Serve has returned ErrServerClosed: collect it
		<-served
	}
	if perr := p.shutdown(sctx); perr != nil && err == nil {
		err = perr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// mux routes the WebSocket endpoint, the server API and /healthz.
func (p *peer) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("/connection/websocket", centrifuge.NewWebsocketHandler(p.node, centrifuge.WebsocketConfig{
		PingPongConfig: centrifuge.PingPongConfig{PingInterval: pingInterval},
	}))
	m.HandleFunc("/api/", p.apiHandler)
	m.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return m
}
