package netpoll

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Poller serves connections from Config.Loops event loops.
//
// Lifecycle: New starts the loops; Add hands them sockets; Stop closes
// every connection, waits for every OnClose and for the loops to return.
type Poller struct {
	loops []*loop
	next  atomic.Uint32
	log   *slog.Logger
	wg    sync.WaitGroup
	stop  sync.Once
}

// loop is one event loop: an epoll set, an eventfd that wakes it for close
// requests, and the connections it owns.
type loop struct {
	p      *Poller
	epfd   int
	file   *os.File // epfd, registered with the runtime's network poller
	wakefd int      // eventfd (eventfd(2)), a member of the epoll set
	buf    []byte   // loop goroutine only
	events []unix.EpollEvent
	batch  []*Conn // the connections of events, looked up once per batch

	mu       sync.Mutex
	conns    map[int32]*Conn // mu; open connections by descriptor
	closing  []*Conn         // mu; close requests not yet carried out
	stopping bool            // mu; Stop has begun: no Add
	dead     bool            // mu; the loop returned; wakefd is closed
	failure  error           // loop goroutine; why epoll_wait failed
}

// eventsPerWait is how many events one epoll_wait returns at most.
const eventsPerWait = 256

// New starts a Poller's loops. It returns an error when a Config value is
// negative or the system refuses an epoll set or eventfd (for example at
// the descriptor limit); no loop is left running then.
func New(cfg Config) (*Poller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Poller{log: cfg.Logger}
	for range cfg.Loops {
		l, err := newLoop(p, cfg.ReadBufferSize)
		if err != nil {
			for _, l := range p.loops {
				l.closeFiles()
			}
			return nil, err
		}
		p.loops = append(p.loops, l)
	}
	for _, l := range p.loops {
		p.wg.Add(1)
		go l.run()
	}
	return p, nil
}

func newLoop(p *Poller, bufSize int) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wakefd)
		return nil, fmt.Errorf("netpoll: add eventfd to the epoll set: %w", err)
	}
	// os.NewFile registers a non-blocking descriptor with the runtime's
	// poller, which is what lets the loop park without a P.
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wakefd)
		return nil, fmt.Errorf("netpoll: set the epoll set non-blocking: %w", err)
	}
	return &loop{
		p:      p,
		epfd:   epfd,
		file:   os.NewFile(uintptr(epfd), "netpoll-epoll"),
		wakefd: wakefd,
		buf:    make([]byte, bufSize),
		events: make([]unix.EpollEvent, eventsPerWait),
		batch:  make([]*Conn, eventsPerWait),
		conns:  make(map[int32]*Conn),
	}, nil
}

// closeFiles releases the loop's descriptors; the loop must not run.
func (l *loop) closeFiles() {
	_ = l.file.Close()
	_ = unix.Close(l.wakefd)
}

// Add takes over nc, which must be a *net.TCPConn or *net.UnixConn (or
// another net.Conn with a SyscallConn method): its descriptor is
// duplicated, made non-blocking and added to a loop, and nc is closed, so
// nc's deadlines and buffers no longer apply. From then on h receives the
// socket's events. Add returns ErrStopped after Stop began, or the error
// that kept the socket from the loop (at the descriptor limit: one
// wrapping syscall.EMFILE). On an error the caller still closes nc: it is
// open when its descriptor could not be duplicated, so the caller can
// still tell the peer why; otherwise closing it again does nothing.
func (p *Poller) Add(nc net.Conn, h Handler) (*Conn, error) {
	fd, err := takeDescriptor(nc)
	if err != nil {
		return nil, err
	}
	l := p.loops[p.next.Add(1)%uint32(len(p.loops))]
	c := &Conn{l: l, fd: fd, h: h}
	// Under l.mu from the check to the insertion: Stop cannot see c before
	// it is in the set, and the loop cannot look up its first event before
	// it is in the table.
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopping {
		_ = unix.Close(fd)
		return nil, ErrStopped
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("netpoll: add the socket to the epoll set: %w", err)
	}
	l.conns[int32(fd)] = c
	return c, nil
}

// takeDescriptor duplicates nc's descriptor (close-on-exec, non-blocking)
// and closes nc; nc stays open when it fails.
func takeDescriptor(nc net.Conn) (int, error) {
	sc, ok := nc.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return -1, fmt.Errorf("netpoll: %T has no descriptor to poll", nc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("netpoll: %w", err)
	}
	fd, dupErr := -1, error(nil)
	if err := rc.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, fmt.Errorf("netpoll: %w", err)
	}
	if dupErr != nil {
		return -1, fmt.Errorf("netpoll: duplicate the descriptor: %w", dupErr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("netpoll: set the socket non-blocking: %w", err)
	}
	_ = nc.Close() // the duplicate now holds the socket
	return fd, nil
}

// Stop closes every connection (OnClose gets nil), waits until every
// OnClose has returned and every loop has ended, and makes Add fail with
// ErrStopped. Calling it again waits the same way. It must not be called
// from a Handler.
func (p *Poller) Stop() {
	p.stop.Do(func() {
		for _, l := range p.loops {
			l.mu.Lock()
			l.stopping = true
			open := make([]*Conn, 0, len(l.conns))
			for _, c := range l.conns {
				open = append(open, c)
			}
			l.wakeLocked() // an empty loop must notice it may end
			l.mu.Unlock()
			for _, c := range open {
				_ = c.Close()
			}
		}
	})
	p.wg.Wait()
}

// run parks on the epoll set through the runtime's poller and serves
// events until the loop is stopping and owns no connection.
func (l *loop) run() {
	defer l.p.wg.Done()
	rc, err := l.file.SyscallConn()
	if err == nil {
		err = rc.Read(func(uintptr) bool { return l.poll() })
	}
	if err == nil {
		err = l.failure
	}
	if err != nil {
		l.p.log.Error("netpoll: event loop failed; closing its connections", "err", err)
	}
	l.mu.Lock()
	l.dead = true
	l.stopping = true
	left := make([]*Conn, 0, len(l.conns))
	for _, c := range l.conns {
		left = append(left, c)
	}
	l.mu.Unlock()
	for _, c := range left { // only after a failure
		l.closeConn(c, fmt.Errorf("netpoll: event loop failed: %w", err))
	}
	l.closeFiles()
}

// poll serves events until the epoll set has none; true ends the loop.
func (l *loop) poll() bool {
	for {
		n, err := unix.EpollWait(l.epfd, l.events, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			l.failure = fmt.Errorf("epoll_wait: %w", err)
			return true
		}
		if n == 0 {
			l.mu.Lock()
			done := l.stopping && len(l.conns) == 0
			l.mu.Unlock()
			return done
		}
		l.dispatch(l.events[:n])
		// Let the goroutines these reads woke run before reading more.
		runtime.Gosched()
	}
}

// dispatch serves one batch of events.
func (l *loop) dispatch(events []unix.EpollEvent) {
	batch := l.batch[:len(events)]
	l.mu.Lock()
	for i := range events {
		batch[i] = l.conns[events[i].Fd]
	}
	l.mu.Unlock()
	for i, ev := range events {
		if ev.Fd == int32(l.wakefd) {
			l.closeRequested()
			continue
		}
		c := batch[i]
		if c == nil || c.closed {
			continue
		}
		if ev.Events&unix.EPOLLOUT != 0 {
			c.flush()
		}
		if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			l.read(c, ev.Events)
		}
	}
	clear(batch)
}

// read takes one buffer's worth from c; a level-triggered set reports c
// again if more is waiting.
func (l *loop) read(c *Conn, events uint32) {
	if c.closed {
		return
	}
	for {
		n, err := unix.Read(c.fd, l.buf)
		switch {
		case n > 0:
			l.deliver(c, l.buf[:n])
			return
		case err == nil:
			l.closeConn(c, io.EOF)
			return
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			if events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				l.closeConn(c, socketError(c.fd))
			}
			return
		default:
			l.closeConn(c, fmt.Errorf("netpoll: read: %w", err))
			return
		}
	}
}

// deliver hands p to c's Handler. A panic there closes c (OnClose gets an
// error naming it) and is logged; the loop and its other connections go
// on.
func (l *loop) deliver(c *Conn, p []byte) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("netpoll: panic in OnData: %v", r)
			l.p.log.Error("netpoll: panic in OnData; closing the connection", "panic", fmt.Sprint(r))
			l.closeConn(c, err)
		}
	}()
	c.h.OnData(p)
}

// socketError is the socket's pending error (SO_ERROR), io.EOF if none.
func socketError(fd int) error {
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && v != 0 {
		return fmt.Errorf("netpoll: socket error: %w", unix.Errno(v))
	}
	return io.EOF
}

// closeRequested carries out the close requests. The eventfd is reset
// before the list is taken, so a request added after the reset wakes the
// loop again.
func (l *loop) closeRequested() {
	var b [8]byte
	_, _ = unix.Read(l.wakefd, b[:])
	l.mu.Lock()
	reqs := l.closing
	l.closing = nil
	l.mu.Unlock()
	for _, c := range reqs {
		l.closeConn(c, c.closeErr)
	}
}

// requestClose asks the loop to close c.
func (l *loop) requestClose(c *Conn) {
	l.mu.Lock()
	l.closing = append(l.closing, c)
	if len(l.closing) == 1 {
		l.wakeLocked()
	}
	l.mu.Unlock()
}

// wakeLocked makes the loop's epoll set readable; the caller holds l.mu,
// which keeps wakefd open.
func (l *loop) wakeLocked() {
	if l.dead {
		return
	}
	one := [8]byte{1}
	_, _ = unix.Write(l.wakefd, one[:])
}

// closeConn closes c's socket, on the loop goroutine, and reports to its
// Handler why: the cause given to Close or the failed write when one was
// asked for, else err.
func (l *loop) closeConn(c *Conn, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending = nil
	if c.closeAsked {
		err = c.closeErr
	}
	l.mu.Lock()
	delete(l.conns, int32(c.fd)) // before the number can be reused
	l.mu.Unlock()
	// Leave the set explicitly: close alone would not remove it while a
	// forked child still holds a copy of the descriptor.
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	_ = unix.Close(c.fd)
	c.mu.Unlock()
	c.h.OnClose(err)
}
