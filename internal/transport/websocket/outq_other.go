//go:build !linux

package websocket

import "github.com/lesismal/nbio"

// kernelSendQueue is not available on this system; the hub then sees only
// bytes the transport itself holds.
func kernelSendQueue(*nbio.Conn) int { return 0 }
