package websocket

import (
	"golang.org/x/sys/unix"

	"github.com/liveroom-dev/liveroom/internal/netpoll"
)

// kernelSendQueue returns the bytes in the socket's send queue that the
// peer has not acknowledged (ioctl SIOCOUTQ, tcp(7)), 0 when unknown.
func kernelSendQueue(c *netpoll.Conn) int {
	n := 0
	_ = c.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ); err == nil && v > 0 {
			n = v
		}
	})
	return n
}
