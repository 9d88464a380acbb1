//go:build linux

package websocket

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// ioctlInt reads an int-valued socket ioctl (SIOCINQ, SIOCOUTQ).
func ioctlInt(fd uintptr, req uintptr) int {
	var n int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(&n))); e != 0 {
		return -1
	}
	return int(n)
}

const (
	siocinq  = 0x541B // FIONREAD: bytes in the receive queue
	siocoutq = 0x5411 // TIOCOUTQ: bytes in the send queue
)

// Buffered is exact: with the client not reading and the flow stalled,
// every byte written is either in Buffered, in the server's send queue or
// in the client's receive queue.
func TestBufferedMatchesKernel(t *testing.T) {
	acc := &testAcceptor{}
	ts := startServer(t, Config{}, acc)
	c := dialUpgraded(t, ts.addr)
	s := acc.waitSession(t, 0)
	wc := s.tr.(*conn)

	payload := []byte(strings.Repeat("q", 50000))
	const frames = 300
	for range frames {
		if err := s.tr.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	total := frames * (len(payload) + 4)

	rc, err := c.nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	measure := func() (buffered, outq, inq int) {
		_ = wc.sock.Control(func(fd uintptr) { outq = ioctlInt(fd, siocoutq) })
		_ = rc.Control(func(fd uintptr) { inq = ioctlInt(fd, siocinq) })
		return s.tr.Buffered(), outq, inq
	}
	var b, o, i int
	waitFor(t, 5*time.Second, "the accounting to balance", func() bool {
		b, o, i = measure()
		return b+o+i+c.br.Buffered() == total
	})
	if b == 0 {
		t.Fatalf("nothing buffered: the test did not fill the socket buffers (out %d, in %d)", o, i)
	}
	t.Logf("total %d = buffered %d + server send queue %d + client receive queue %d", total, b, o, i)
}
