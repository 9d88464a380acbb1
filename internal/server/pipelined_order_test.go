package server_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Commands pipelined behind connect in one message are answered in order,
// the connect reply first, also when one of them cannot be decoded (its
// 107 waits for the replies before it) — a client library matches replies
// by id, but one that reads the first reply as the connect reply must not
// get another command's error instead.
func TestPipelinedMalformedCommandIsAnsweredAfterConnect(t *testing.T) {
	node := testkit.Start(t, nil)
	ws, _, err := websocket.DefaultDialer.Dial(node.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	frame := strings.Join([]string{
		fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`, node.Token("pipeliner")),
		`{"id":2,"rpc":{"method":"time"}}`,
		`{"id":3,"subscribe":{"channel":5}}`, // channel must be a string
		`{"id":4,"rpc":{"method":"time"}}`,
	}, "\n")
	if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatal(err)
	}
	var order []uint32
	replies := map[uint32]*protocol.Reply{}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(order) < 4 {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after replies %v: %v", order, err)
		}
		dec := protocol.NewJSONReplyDecoder(data)
		for {
			rep, derr := dec.Decode()
			if rep != nil && rep.Id != 0 {
				order = append(order, rep.Id)
				replies[rep.Id] = rep
			}
			if errors.Is(derr, io.EOF) {
				break
			}
			if derr != nil {
				t.Fatalf("undecodable reply frame %q: %v", data, derr)
			}
		}
	}
	if fmt.Sprint(order) != "[1 2 3 4]" {
		t.Fatalf("replies came in the order %v; want [1 2 3 4]", order)
	}
	if replies[1].Connect == nil || replies[1].Error != nil {
		t.Fatalf("connect reply: %+v", replies[1])
	}
	if e := replies[3].Error; e == nil || e.Code != 107 || !strings.Contains(e.Message, "command 3 is malformed") {
		t.Fatalf("reply to the malformed command: %+v; want 107 naming it", replies[3])
	}
	if replies[2].Rpc == nil || replies[4].Rpc == nil {
		t.Fatalf("the commands around the malformed one: %+v, %+v; want both answered", replies[2], replies[4])
	}
}

// A connect that cannot be decoded is answered 107; a command after it
// then closes the connection with a reason that says the connect was
// refused, not that none was sent.
func TestUndecodableConnectIsNamedInTheClose(t *testing.T) {
	node := testkit.Start(t, nil)
	ws, _, err := websocket.DefaultDialer.Dial(node.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	frame := `{"id":1,"connect":{"token":5}}` + "\n" + `{"id":2,"rpc":{"method":"time"}}`
	if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got107 bool
	for {
		_, data, err := ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if !got107 || ce.Code != 3501 || !strings.Contains(ce.Text, "first command could not be decoded") {
				t.Fatalf("closed with %d %q after the 107: %v; want 3501 naming the undecodable first command", ce.Code, ce.Text, got107)
			}
			return
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if strings.Contains(string(data), `"id":1`) && strings.Contains(string(data), `"code":107`) {
			got107 = true
		}
	}
}
