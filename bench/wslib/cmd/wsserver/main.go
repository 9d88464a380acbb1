// Command wsserver runs one WebSocket server contender for measurement.
//
//	wsserver -server nbio-poller [-addr 127.0.0.1:0] [-ctl 127.0.0.1:0]
//
// It accepts WebSocket connections on -addr (any path), reads and discards
// what clients send, and serves a control API on -ctl:
//
//	GET  /stats[?gc=1]                  memory, goroutines, connections, broadcast state (JSON)
//	POST /broadcast?size=S&count=M      start writing one S-byte message M times to all connections
//
// Once both listeners are up it prints one line,
// "ready server=NAME ws=ADDR ctl=ADDR pid=PID", and runs until SIGINT or
// SIGTERM. -list prints the registered contenders.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/liveroom-dev/liveroom/bench/wslib/contender"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wsserver:", err)
		os.Exit(1)
	}
}

func run() error {
	name := flag.String("server", "", "contender to run (see -list)")
	addr := flag.String("addr", "127.0.0.1:0", "WebSocket listen address")
	ctlAddr := flag.String("ctl", "127.0.0.1:0", "control API listen address")
	list := flag.Bool("list", false, "print the registered contenders and exit")
	profile := flag.Bool("pprof", false, "also serve net/http/pprof under /debug/pprof/ on the control address")
	flag.Parse()

	if *list {
		for _, n := range contender.Names() {
			fmt.Printf("%s\t%s\n", n, contender.Describe(n))
		}
		return nil
	}
	srv, err := contender.New(*name)
	if err != nil {
		return err
	}
	wsLn, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ctlLn, err := net.Listen("tcp", *ctlAddr)
	if err != nil {
		_ = wsLn.Close()
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctl := newControl(ctx, srv)
	ctlSrv := &http.Server{Handler: ctl.routes(*profile)}

	var g sync.WaitGroup
	var serveErr, ctlErr error
	g.Go(func() {
		defer stop() // a contender that fails ends the process
		serveErr = srv.Serve(ctx, wsLn)
	})
	g.Go(func() {
		defer stop()
		if err := ctlSrv.Serve(ctlLn); !errors.Is(err, http.ErrServerClosed) {
			ctlErr = err
		}
	})
	fmt.Printf("ready server=%s ws=%s ctl=%s pid=%d\n", *name, wsLn.Addr(), ctlLn.Addr(), os.Getpid())

	<-ctx.Done()
	_ = ctlSrv.Close()
	ctl.wait()
	g.Wait()
	return errors.Join(serveErr, ctlErr)
}
