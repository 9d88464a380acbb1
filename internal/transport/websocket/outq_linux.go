package websocket

import (
	"github.com/lesismal/nbio"
	"golang.org/x/sys/unix"
)

// kernelSendQueue returns the bytes in the socket's send queue that the
// peer has not acknowledged (ioctl SIOCOUTQ, tcp(7)), 0 when unknown.
func kernelSendQueue(c *nbio.Conn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ); err == nil && v > 0 {
			n = v
		}
	})
	return n
}
