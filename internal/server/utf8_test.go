package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Publication data that is not UTF-8 is refused on every path that could
// store it — a Protobuf connection and the server API — because JSON
// clients of the same channel could never be sent it: their live pushes
// would skip it and their history and recovery replies could not be
// encoded. A JSON client's history stays readable.
func TestDataThatIsNotUTF8IsRefusedOnEveryPath(t *testing.T) {
	node := testkit.Start(t, nil)
	pb := testkit.DialRaw(t, node.WSURL, protocol.TypeProtobuf)
	pb.Connect(node.Token("mallory"))
	if rep := pb.Call(sub("room:poison")); rep.Error != nil {
		t.Fatalf("subscribe: %+v", rep.Error)
	}
	bad := []byte("\"a\xc3\x28\"")
	wantError(t, pb.Call(&protocol.Command{Publish: &protocol.PublishRequest{Channel: "room:poison", Data: bad}}), wire.CodeBadRequest, "not valid UTF-8 at byte 2")

	// Any string of a JSON body, not only data: encoding/json would turn
	// the bytes into U+FFFD and publish to another channel than named.
	api := map[string]string{"X-API-Key": node.APIKey}
	for _, tc := range []struct {
		body string
		at   int
	}{
		{`{"channel":"room:poison","data":"` + "\xc3\x28" + `"}`, 33},
		{`{"channel":"room:` + "\xff" + `","data":1}`, 17},
	} {
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/api/publish", raw: []byte(tc.body), header: api})
		if r.status != http.StatusBadRequest || !strings.Contains(r.errMessage(), fmt.Sprintf("not valid UTF-8 at byte %d", tc.at)) {
			t.Fatalf("API publish %q: %d %s; want 400 naming byte %d", tc.body, r.status, r.body, tc.at)
		}
	}

	// A lone surrogate escape would decode to U+FFFD: refused the same way
	// over the protocol, the server API and the demo sign-in.
	wantError(t, pb.Call(&protocol.Command{Publish: &protocol.PublishRequest{Channel: "room:poison", Data: []byte(`{"t":"\ud800"}`)}}),
		wire.CodeBadRequest, "at byte 6 that is half of a UTF-16 surrogate pair")
	for path, body := range map[string]string{
		"/api/publish": `{"channel":"room:a\ud800b","data":1}`,
		"/demo/token":  `{"name":"A\ud800"}`,
	} {
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: path, raw: []byte(body), header: api})
		if r.status != http.StatusBadRequest || !strings.Contains(r.errMessage(), "half of a UTF-16 surrogate pair") {
			t.Fatalf("POST %s %s: %d %s; want 400 naming the escape", path, body, r.status, r.body)
		}
	}

	// Valid data still goes through, and a JSON client reads the whole
	// history.
	if rep := pb.Call(&protocol.Command{Publish: &protocol.PublishRequest{Channel: "room:poison", Data: []byte(`"ok é"`)}}); rep.Error != nil {
		t.Fatalf("publish: %+v", rep.Error)
	}
	js := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	js.Connect(node.Token("ann"))
	if rep := js.Call(sub("room:poison")); rep.Error != nil {
		t.Fatalf("subscribe: %+v", rep.Error)
	}
	rep := js.Call(&protocol.Command{History: &protocol.HistoryRequest{Channel: "room:poison", Limit: 10}})
	if rep.Error != nil || rep.History == nil || len(rep.History.Publications) != 1 || string(rep.History.Publications[0].Data) != `"ok é"` {
		t.Fatalf("history: %+v", rep)
	}
}

// A Protobuf message whose length prefix is not a varint, or runs past the
// end, closes the connection with 3501 saying so; before, the rest of the
// message was dropped without a word.
func TestProtobufFramingErrorsAreNamed(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, frame := range [][]byte{[]byte(strings.Repeat("\xff", 11)), []byte(strings.Repeat("\xff", 9) + "\x7f"), []byte("\x05ab")} {
		c := testkit.DialRaw(t, node.WSURL, protocol.TypeProtobuf)
		c.SendBytes(frame)
		code, reason := c.Closed(10 * time.Second)
		if code != 3501 || !strings.Contains(reason, "malformed command: the ") {
			t.Fatalf("frame %x: closed %d %q; want 3501 naming the length prefix", frame, code, reason)
		}
	}
}
