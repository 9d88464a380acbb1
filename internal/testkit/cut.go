package testkit

import (
	"context"
	"net"
	"sync"
)

// Cutter dials TCP connections that a test can black-hole, the way a
// mobile network drops: no FIN, no RST. While cut, bytes written are
// swallowed, bytes received are dropped, and new dials wait. Restore closes
// the black-holed connections (the client notices and reconnects) and lets
// waiting dials through.
type Cutter struct {
	mu      sync.Mutex
	cut     bool
	restore chan struct{} // closed on Restore (mu)
	conns   map[*cutConn]struct{}
}

// NewCutter returns a Cutter whose connections pass traffic.
func NewCutter() *Cutter {
	return &Cutter{restore: make(chan struct{}), conns: make(map[*cutConn]struct{})}
}

// Dial is a NetDialContext for clients.
func (c *Cutter) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	for {
		c.mu.Lock()
		cut, wait := c.cut, c.restore
		c.mu.Unlock()
		if !cut {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait:
		}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cc := &cutConn{Conn: nc, owner: c}
	c.mu.Lock()
	c.conns[cc] = struct{}{}
	c.mu.Unlock()
	return cc, nil
}

// Cut black-holes every connection, open and future.
func (c *Cutter) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cut {
		c.cut = true
		c.restore = make(chan struct{})
	}
}

// Restore ends the cut: connections that were black-holed are closed and
// new dials go through.
func (c *Cutter) Restore() {
	c.mu.Lock()
	var stale []*cutConn
	if c.cut {
		c.cut = false
		close(c.restore)
		for cc := range c.conns {
			stale = append(stale, cc)
		}
	}
	c.mu.Unlock()
	for _, cc := range stale {
		_ = cc.Close()
	}
}

func (c *Cutter) isCut() (bool, chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut, c.restore
}

type cutConn struct {
	net.Conn
	owner *Cutter
}

func (cc *cutConn) Read(p []byte) (int, error) {
	for {
		if cut, wait := cc.owner.isCut(); cut {
			<-wait
			return 0, net.ErrClosed
		}
		n, err := cc.Conn.Read(p)
		if cut, _ := cc.owner.isCut(); cut && err == nil {
			continue // arrived during the cut: lost
		}
		return n, err
	}
}

func (cc *cutConn) Write(p []byte) (int, error) {
	if cut, _ := cc.owner.isCut(); cut {
		return len(p), nil // swallowed
	}
	return cc.Conn.Write(p)
}

func (cc *cutConn) Close() error {
	cc.owner.mu.Lock()
	delete(cc.owner.conns, cc)
	cc.owner.mu.Unlock()
	return cc.Conn.Close()
}
