// Command wsclient opens N WebSocket connections and counts the messages
// each one receives, for cmd/wsbench.
//
//	wsclient -addr 127.0.0.1:PORT -n 5000 -src 127.0.1.1,127.0.1.2 -expect 400 -size 128
//
// Connections are spread round-robin over the -src local addresses, so one
// process is not held to one address's ephemeral ports. It prints lines of
// space-separated key=value fields on stdout:
//
//	ready conns=N failed=F ms=T err="…"   all dials finished (F failed)
//	done at_ns=T msgs=M                   every connection has its -expect messages (T: Unix ns)
//	fail what="…"                         a check failed (printed at most a few times)
//	closed conns=N msgs=M short=S over=O bad=B lost=L   on SIGTERM/SIGINT, after closing all
//
// short counts connections with fewer than -expect messages, over those
// with more, bad messages of the wrong size, lost connections that ended
// before the client closed them.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wsclient:", err)
		os.Exit(1)
	}
}

// maxFailLines bounds the "fail" lines one process prints.
const maxFailLines = 5

type client struct {
	expect int64 // messages each connection must receive
	size   int64 // payload length of each message; -1 for any

	outMu sync.Mutex // serialises stdout lines

	remaining atomic.Int64 // connections still short of expect
	received  atomic.Int64 // messages, all connections
	over      atomic.Int64
	bad       atomic.Int64
	lost      atomic.Int64
	failLines atomic.Int64
	closing   atomic.Bool // set before the client closes its connections
}

func run() error {
	addr := flag.String("addr", "", "server host:port")
	path := flag.String("path", "/", "request path")
	n := flag.Int("n", 1000, "connections to open")
	srcList := flag.String("src", "127.0.0.1", "comma-separated local addresses to dial from, round-robin")
	expect := flag.Int("expect", 0, "messages each connection must receive")
	size := flag.Int("size", -1, "payload bytes of each message, -1 for any")
	parallel := flag.Int("parallel", 64, "dials in flight at once")
	lowat := flag.Int("lowat", 0, "gather up to this many bytes before waking the reader (SO_RCVLOWAT); 0 or 1: off")
	flag.Parse()

	var srcs []net.IP
	for _, s := range strings.Split(*srcList, ",") {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			return fmt.Errorf("bad -src address %q", s)
		}
		srcs = append(srcs, ip)
	}
	if *addr == "" || *n < 1 || *parallel < 1 {
		return fmt.Errorf("need -addr, -n >= 1 and -parallel >= 1")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cl := &client{expect: int64(*expect), size: int64(*size)}
	cl.remaining.Store(int64(*n))
	if cl.expect == 0 {
		cl.remaining.Store(0) // nothing to wait for: never prints done
	}

	// With a known message size, each connection knows how many bytes it
	// will receive, which lets it batch its wake-ups (see lowatReader).
	expectBytes := int64(-1)
	if *size >= 0 {
		expectBytes = int64(*expect) * serverFrameLen(int64(*size))
	}
	conns := make([]*conn, *n)
	got := make([]int64, *n) // got[i] is written only by conn i's reader
	var readers sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value

	start := time.Now()
	var next atomic.Int64
	var dialers sync.WaitGroup
	for range *parallel {
		dialers.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= *n || ctx.Err() != nil {
					return
				}
				c, err := dial(ctx, srcs[i%len(srcs)], *addr, *path, expectBytes, *lowat)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				conns[i] = c
				readers.Go(func() { cl.read(c, &got[i]) })
			}
		})
	}
	dialers.Wait()
	nFailed := failed.Load()
	if cl.expect > 0 {
		cl.remaining.Add(-nFailed) // failed dials have nothing to wait for
	}
	errText, _ := firstErr.Load().(string)
	cl.printf("ready conns=%d failed=%d ms=%d err=%q", int64(*n)-nFailed, nFailed, time.Since(start).Milliseconds(), errText)

	<-ctx.Done()
	cl.closing.Store(true)
	for _, c := range conns {
		if c != nil {
			c.abort()
		}
	}
	readers.Wait()

	var short int
	for i, c := range conns {
		if c != nil && got[i] < cl.expect {
			short++
		}
	}
	cl.printf("closed conns=%d msgs=%d short=%d over=%d bad=%d lost=%d",
		int64(*n)-nFailed, cl.received.Load(), short, cl.over.Load(), cl.bad.Load(), cl.lost.Load())
	return nil
}

// read counts the messages of one connection until it ends.
func (cl *client) read(c *conn, got *int64) {
	for {
		n, err := c.readMessage()
		if err != nil {
			if !cl.closing.Load() {
				cl.lost.Add(1)
				cl.fail("connection ended: " + err.Error())
			}
			return
		}
		if cl.size >= 0 && n != cl.size {
			cl.bad.Add(1)
			cl.fail(fmt.Sprintf("message of %d bytes, want %d", n, cl.size))
		}
		*got++
		cl.received.Add(1)
		switch {
		case *got == cl.expect:
			if cl.remaining.Add(-1) == 0 {
				cl.printf("done at_ns=%d msgs=%d", time.Now().UnixNano(), cl.received.Load())
			}
		case *got > cl.expect:
			cl.over.Add(1)
			cl.fail(fmt.Sprintf("connection got %d messages, want %d", *got, cl.expect))
		}
	}
}

func (cl *client) fail(what string) {
	if cl.failLines.Add(1) <= maxFailLines {
		cl.printf("fail what=%q", what)
	}
}

func (cl *client) printf(format string, args ...any) {
	cl.outMu.Lock()
	defer cl.outMu.Unlock()
	fmt.Printf(format+"\n", args...)
}

// serverFrameLen is the length on the wire of an unmasked single frame with
// n payload bytes (RFC 6455 §5.2).
func serverFrameLen(n int64) int64 {
	switch {
	case n < 126:
		return n + 2
	case n <= 0xFFFF:
		return n + 4
	default:
		return n + 10
	}
}
