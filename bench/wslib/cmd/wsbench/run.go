package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/liveroom-dev/liveroom/bench/wslib/internal/ctlapi"
	"github.com/liveroom-dev/liveroom/bench/wslib/internal/proc"
)

// spec is one run: a fresh server with n connections, measured idle, then
// (if count > 0) one broadcast of count messages of size bytes.
type spec struct {
	server      string
	n           int
	size, count int
	rep         int
}

type idleResult struct {
	base, full ctlapi.Stats
}

type broadcastResult struct {
	deliveries int64
	seconds    float64 // first write to the last client's last message
	serverCPU  float64 // seconds of utime+stime over the broadcast
	clientCPU  float64 // all client processes together
	meanRun    float64 // messages written back to back to one connection, on average
	// Share of the server's and of the clients' CPU taken by other work on
	// the machine during the broadcast, 0..1 (-1 if not known).
	otherOnServerCPU, otherOnClientCPU float64
}

// runOnce carries out one spec. A failed check is an error; nothing is
// averaged away.
func (b *bench) runOnce(ctx context.Context, sp spec) (idle *idleResult, bc *broadcastResult, err error) {
	b.runs++
	srv, err := startChild("wsserver", b.serverCPU, filepath.Join(b.bin, "wsserver"),
		[]string{"GOMAXPROCS=1"}, "-server", sp.server)
	if err != nil {
		return nil, nil, err
	}
	defer func() { err = errors.Join(err, srv.stop(10*time.Second)) }()

	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	ready, err := srv.waitLine(rctx, "ready")
	cancel()
	if err != nil {
		return nil, nil, err
	}
	ctl := "http://" + ready["ctl"]
	base, err := getStats(ctx, ctl, true)
	if err != nil {
		return nil, nil, err
	}

	clients, err := b.startClients(ctx, sp, ready["ws"])
	defer func() { err = errors.Join(err, b.stopClients(clients, sp)) }()
	if err != nil {
		return nil, nil, err
	}

	// Every client has dialled; wait until the server counts them all, then
	// require the count to hold for the idle period.
	if err := pollStats(ctx, ctl, b.connectTimeout, func(s ctlapi.Stats) bool { return s.Conns == int64(sp.n) }); err != nil {
		return nil, nil, fmt.Errorf("server never counted %d connections: %w", sp.n, err)
	}
	idleUntil := time.Now().Add(b.idle)
	for time.Now().Before(idleUntil) {
		s, err := getStats(ctx, ctl, false)
		if err != nil {
			return nil, nil, err
		}
		if s.Conns != int64(sp.n) {
			return nil, nil, fmt.Errorf("connections fell to %d while idle", s.Conns)
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return nil, nil, err
		}
	}
	full, err := getStats(ctx, ctl, true)
	if err != nil {
		return nil, nil, err
	}
	idle = &idleResult{base: base, full: full}
	if sp.count == 0 {
		return idle, nil, nil
	}
	bc, err = b.broadcast(ctx, sp, srv, clients, ctl)
	return idle, bc, err
}

func (b *bench) broadcast(ctx context.Context, sp spec, srv *child, clients []*child, ctl string) (*broadcastResult, error) {
	cpu0, err := proc.CPUTicks(srv.pid)
	if err != nil {
		return nil, err
	}
	ccpu0, err := clientTicks(clients)
	if err != nil {
		return nil, err
	}
	sload := startLoad(b.serverCPU)
	cload := startLoad(b.clientCPU)
	var st ctlapi.Broadcast
	url := fmt.Sprintf("%s/broadcast?size=%d&count=%d", ctl, sp.size, sp.count)
	if err := httpJSON(ctx, http.MethodPost, url, &st); err != nil {
		return nil, err
	}

	bctx, cancel := context.WithTimeout(ctx, b.broadcastTimeout)
	defer cancel()
	var lastNS int64
	for _, c := range clients {
		done, err := c.waitLine(bctx, "done")
		if err != nil {
			return nil, err
		}
		at, err := intField(done, "at_ns")
		if err != nil {
			return nil, err
		}
		lastNS = max(lastNS, at)
	}
	var end ctlapi.Stats
	if err := pollStats(bctx, ctl, b.broadcastTimeout, func(s ctlapi.Stats) bool {
		end = s
		return s.Broadcast.State == "done"
	}); err != nil {
		return nil, fmt.Errorf("server broadcast did not finish: %w", err)
	}
	cpu1, err := proc.CPUTicks(srv.pid)
	if err != nil {
		return nil, err
	}
	ccpu1, err := clientTicks(clients)
	if err != nil {
		return nil, err
	}
	r := end.Broadcast.Result
	want := int64(sp.n) * int64(sp.count)
	if r.Err != "" || r.Failed != 0 || r.Conns != sp.n || r.Writes != want {
		return nil, fmt.Errorf("server broadcast: %+v, want %d connections and %d writes", r, sp.n, want)
	}
	return &broadcastResult{
		deliveries:       want,
		seconds:          float64(lastNS-st.StartNS) / 1e9,
		serverCPU:        float64(cpu1-cpu0) / float64(b.clkTck),
		clientCPU:        float64(ccpu1-ccpu0) / float64(b.clkTck),
		meanRun:          float64(r.Writes) / float64(max(r.Runs, 1)),
		otherOnServerCPU: sload.other(cpu1 - cpu0),
		otherOnClientCPU: cload.other(ccpu1 - ccpu0),
	}, nil
}

// startClients starts b.clients processes that share sp.n connections, each
// dialling from its own loopback addresses; the addresses change with every
// run so that no run meets the previous run's ports. It returns once every
// client has dialled all its connections without a failure.
func (b *bench) startClients(ctx context.Context, sp spec, wsAddr string) ([]*child, error) {
	var clients []*child
	for i := range b.clients {
		n := sp.n / b.clients
		if i < sp.n%b.clients {
			n++
		}
		octet2, octet3 := 1+b.runs%250, 1+i
		src := fmt.Sprintf("127.%d.%d.1,127.%d.%d.2", octet2, octet3, octet2, octet3)
		c, err := startChild(fmt.Sprintf("wsclient%d", i), b.clientCPU, filepath.Join(b.bin, "wsclient"),
			[]string{"GOMAXPROCS=1"}, "-addr", wsAddr, "-n", fmt.Sprint(n), "-src", src,
			"-expect", fmt.Sprint(sp.count), "-size", fmt.Sprint(sp.size), "-lowat", fmt.Sprint(b.lowat))
		if err != nil {
			return clients, err
		}
		clients = append(clients, c)
	}
	cctx, cancel := context.WithTimeout(ctx, b.connectTimeout)
	defer cancel()
	for _, c := range clients {
		f, err := c.waitLine(cctx, "ready")
		if err != nil {
			return clients, err
		}
		if f["failed"] != "0" {
			return clients, fmt.Errorf("%s: %s of %s dials failed, first error: %s",
				c.name, f["failed"], f["conns"], f["err"])
		}
	}
	return clients, nil
}

// stopClients ends the clients and checks their closing counts: every
// connection got exactly sp.count messages of the right size and none was
// lost before the client closed it.
func (b *bench) stopClients(clients []*child, sp spec) error {
	var errs []error
	for _, c := range clients {
		if err := c.stop(30 * time.Second); err != nil {
			errs = append(errs, err)
		}
		// The child has exited, so its lines are all in: skip (and report)
		// any "fail" lines up to the summary.
		var f map[string]string
		var err error
		for {
			f, err = c.waitLine(context.Background(), "closed")
			if !errors.Is(err, errFailLine) {
				break
			}
			errs = append(errs, err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if f["short"] != "0" && sp.count > 0 || f["over"] != "0" || f["bad"] != "0" || f["lost"] != "0" {
			errs = append(errs, fmt.Errorf("%s closing counts: %v", c.name, f))
		}
	}
	return errors.Join(errs...)
}
