package websocket

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/liveroom-dev/liveroom/internal/hub"
	"github.com/liveroom-dev/liveroom/wire"
)

// dispatcher runs Session callbacks off the poller goroutines, so a slow
// HandleMessage never delays reads of other connections. Connections with
// work wait in a FIFO; up to max worker goroutines take them, started on
// demand and exiting when the FIFO is empty. Each connection is in the FIFO
// or in a worker at most once (conn.scheduled), so its callbacks never run
// concurrently and keep their order.
type dispatcher struct {
	mu      sync.Mutex
	ready   []*conn // mu; connections with queued work
	head    int     // mu; index of the next connection in ready
	running int     // mu; live workers
	max     int
	wg      sync.WaitGroup // live workers, for Shutdown
}

// schedule queues c, whose scheduled flag the caller has just set.
func (d *dispatcher) schedule(c *conn) {
	d.mu.Lock()
	d.ready = append(d.ready, c)
	start := d.running < d.max
	if start {
		d.running++
		d.wg.Add(1)
	}
	d.mu.Unlock()
	if start {
		go d.work()
	}
}

func (d *dispatcher) work() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if d.head == len(d.ready) {
			d.ready, d.head = d.ready[:0], 0
			d.running--
			d.mu.Unlock()
			return
		}
		c := d.ready[d.head]
		d.ready[d.head] = nil
		d.head++
		if d.head >= 1024 && 2*d.head >= len(d.ready) {
			n := copy(d.ready, d.ready[d.head:])
			clear(d.ready[n:])
			d.ready, d.head = d.ready[:n], 0
		}
		d.mu.Unlock()
		c.run()
	}
}

// runBudget is how many messages one connection handles before yielding its
// worker to the next connection.
const runBudget = 16

// run delivers queued messages, then HandleClosed once the socket is gone.
func (c *conn) run() {
	for range runBudget {
		c.qmu.Lock()
		s := c.session
		if len(c.queue) > 0 {
			b := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			if len(c.queue) == 0 {
				c.queue = nil
			}
			c.queued -= len(*b) + messageOverhead
			c.qmu.Unlock()
			c.handleMessage(s, *b)
			putBuf(b)
			continue
		}
		closing := c.gone && !c.closedDone
		c.closedDone = c.closedDone || closing
		cause := c.goneCause
		c.scheduled = false
		c.qmu.Unlock()
		if closing {
			c.handleClosed(s, cause)
		}
		return
	}
	c.srv.disp.schedule(c) // still scheduled; go to the back
}

// handleMessage calls s.HandleMessage; a panic closes this connection with
// 3004 and nothing else.
func (c *conn) handleMessage(s hub.Session, data []byte) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("websocket: panic in Session.HandleMessage",
				"remote", c.remote, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			d := wire.DisconnectServerError
			c.closeWith(uint16(d.Code), d.Reason, closeAwaitPeer, fmt.Errorf("websocket: session panic: %v", r))
		}
	}()
	s.HandleMessage(data)
}

// handleClosed calls s.HandleClosed, recovering a panic.
func (c *conn) handleClosed(s hub.Session, cause error) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("websocket: panic in Session.HandleClosed",
				"remote", c.remote, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	s.HandleClosed(cause)
}

// setSession attaches the Session that Accept returned and starts delivering
// what arrived meanwhile.
func (c *conn) setSession(s hub.Session) {
	c.qmu.Lock()
	c.session = s
	sched := !c.scheduled && (len(c.queue) > 0 || c.gone)
	c.scheduled = c.scheduled || sched
	c.qmu.Unlock()
	if sched {
		c.srv.disp.schedule(c)
	}
}
