//go:build !linux

package websocket

import "github.com/liveroom-dev/liveroom/internal/netpoll"

// kernelSendQueue is not available on this system; the hub then sees only
// bytes the transport itself holds.
func kernelSendQueue(*netpoll.Conn) int { return 0 }
