package server_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// TestProtobufIDOver32BitsIsRefused: proto3 reads a varint into the
// uint32 id by dropping its high bits, so an id of 2^32+2 was answered as
// 2 (and could collide with a command in flight). Such a command closes
// the connection as malformed, as an id over 2^32-1 does in JSON.
func TestProtobufIDOver32BitsIsRefused(t *testing.T) {
	node := testkit.Start(t, nil)
	c := testkit.DialRaw(t, node.WSURL, protocol.TypeProtobuf)
	c.Connect(node.Token("ada"))

	// A ping command (field 9, empty) with id 2^32+2 (field 1, varint),
	// framed with its length as the protocol does.
	cmd := binary.AppendUvarint([]byte{0x08}, 1<<32+2)
	cmd = append(cmd, 0x4a, 0x00)
	frame := binary.AppendUvarint(nil, uint64(len(cmd)))
	frame = append(frame, cmd...)
	c.SendBytes(frame)
	code, reason := c.Closed(5 * time.Second)
	if code != 3501 || !strings.Contains(reason, "4294967298") {
		t.Fatalf("id 2^32+2 over Protobuf: closed with %d %q; want 3501 naming the id", code, reason)
	}
}
