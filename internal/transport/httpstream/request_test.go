package httpstream

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/wire"
)

func pbFrames(t testing.TB, cmds ...*protocol.Command) []byte {
	var out []byte
	for _, c := range cmds {
		b, err := c.MarshalCF()
		if err != nil {
			t.Fatal(err)
		}
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

func TestCheckConnect(t *testing.T) {
	connect := &protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: "t"}}
	sub := &protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "c"}}
	for _, tc := range []struct {
		name  string
		proto protocol.Type
		msg   []byte
		err   string // "" = accepted
	}{
		{"json connect", protocol.TypeJSON, []byte(`{"id":1,"connect":{"token":"t"}}`), ""},
		{"json connect after blank lines, then more", protocol.TypeJSON, []byte("\n  \n{\"id\":1,\"connect\":{}}\n{\"id\":2,\"bogus\""), ""},
		{"json empty", protocol.TypeJSON, nil, "no command"},
		{"json blank", protocol.TypeJSON, []byte(" \n\n"), "no command"},
		{"json not JSON", protocol.TypeJSON, []byte("hello"), "not a valid JSON command"},
		{"json trailing data", protocol.TypeJSON, []byte(`{"id":1,"connect":{}} x`), "not a valid JSON command"},
		{"json subscribe first", protocol.TypeJSON, []byte(`{"id":1,"subscribe":{"channel":"c"}}`), "first command must be connect"},
		{"json no id", protocol.TypeJSON, []byte(`{"connect":{}}`), "non-zero id"},
		{"protobuf connect then subscribe", protocol.TypeProtobuf, pbFrames(t, connect, sub), ""},
		{"protobuf empty", protocol.TypeProtobuf, nil, "no command"},
		{"protobuf subscribe first", protocol.TypeProtobuf, pbFrames(t, sub, connect), "first command must be connect"},
		{"protobuf truncated tail", protocol.TypeProtobuf, append(pbFrames(t, connect), 0x05, 1), "length prefix says 5 bytes but 1 follow"},
		{"protobuf bad varint", protocol.TypeProtobuf, bytes.Repeat([]byte{0x80}, 11), "not a valid varint"},
		{"protobuf garbage", protocol.TypeProtobuf, []byte{0x03, 0xff, 0xff, 0xff}, "not a valid Protobuf command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkConnect(tc.proto, tc.msg)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v; want one mentioning %q", err, tc.err)
			}
		})
	}
}

func TestSplitFramesLimit(t *testing.T) {
	msg := bytes.Repeat([]byte{0}, maxFrames)
	if frames, err := splitFrames(msg); err != nil || len(frames) != maxFrames {
		t.Fatalf("%d empty frames: %d, %v", maxFrames, len(frames), err)
	}
	if _, err := splitFrames(append(msg, 0)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("%d frames: %v; want refused", maxFrames+1, err)
	}
}

func TestDecodeEmulation(t *testing.T) {
	pb, err := (&protocol.EmulationRequest{Node: "n", Session: "s", Data: []byte{1, 2}}).MarshalCF()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		proto  protocol.Type
		body   []byte
		status int // 0 = accepted
		data   string
	}{
		{"json", protocol.TypeJSON, []byte(`{"session":"s","node":"n","data":"{\"id\":1}\n{}"}`), 0, "{\"id\":1}\n{}"},
		{"json keys in any order", protocol.TypeJSON, []byte(`{"data":"x","node":"n","session":"s"}`), 0, "x"},
		{"protobuf", protocol.TypeProtobuf, pb, 0, "\x01\x02"},
		{"json data object", protocol.TypeJSON, []byte(`{"session":"s","data":{"id":1}}`), 400, ""},
		{"json data null", protocol.TypeJSON, []byte(`{"session":"s","data":null}`), 400, ""},
		{"json session number", protocol.TypeJSON, []byte(`{"session":1,"data":"x"}`), 400, ""},
		{"json duplicate session", protocol.TypeJSON, []byte(`{"session":"a","session":"b","data":"x"}`), 400, ""},
		{"json no session", protocol.TypeJSON, []byte(`{"data":"x"}`), 400, ""},
		{"json empty data", protocol.TypeJSON, []byte(`{"session":"s","data":""}`), 400, ""},
		{"json long session", protocol.TypeJSON, []byte(`{"session":"` + strings.Repeat("s", 200) + `","data":"x"}`), 400, ""},
		{"json data over limit", protocol.TypeJSON, []byte(`{"session":"s","data":"` + strings.Repeat("x", 101) + `"}`), 413, ""},
		{"protobuf garbage", protocol.TypeProtobuf, []byte{0xff, 0xff}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, rerr := decodeEmulation(tc.proto, tc.body, 100)
			switch {
			case tc.status == 0 && rerr != nil:
				t.Fatalf("refused: %v", rerr)
			case tc.status == 0 && string(e.data) != tc.data:
				t.Fatalf("data %q; want %q", e.data, tc.data)
			case tc.status != 0 && (rerr == nil || rerr.status != tc.status):
				t.Fatalf("got %+v; want status %d", rerr, tc.status)
			}
		})
	}
}

func TestProtoOf(t *testing.T) {
	for ctype, want := range map[string]protocol.Type{
		"application/octet-stream":              protocol.TypeProtobuf,
		"Application/Octet-Stream; charset=x":   protocol.TypeProtobuf,
		"application/json":                      protocol.TypeJSON,
		"":                                      protocol.TypeJSON,
		"text/plain;charset=UTF-8":              protocol.TypeJSON,
		"application/octet-stream; bad=\"quote": protocol.TypeJSON,
	} {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Content-Type", ctype)
		if got := protoOf(r); got != want {
			t.Errorf("Content-Type %q: %s; want %s", ctype, got, want)
		}
	}
}

// The stream framings, as the `centrifuge` client reads them: SSE events
// whose data lines are JSON replies (a '\r' would end a line in
// EventSource, so it becomes a space); HTTP-streaming JSON replies each
// ended by '\n'; Protobuf replies as they come (already length-prefixed).
func TestFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kind    kind
		proto   protocol.Type
		payload string
		want    string
	}{
		{"sse one reply", kindSSE, protocol.TypeJSON, `{}`, "data: {}\n\n"},
		{"sse two replies", kindSSE, protocol.TypeJSON, "{\"id\":1}\n{\"push\":{}}", "data: {\"id\":1}\ndata: {\"push\":{}}\n\n"},
		{"sse carriage return", kindSSE, protocol.TypeJSON, "{\"a\":\r1}", "data: {\"a\": 1}\n\n"},
		{"stream json", kindStream, protocol.TypeJSON, "{\"id\":1}\n{}", "{\"id\":1}\n{}\n"},
		{"stream protobuf", kindStream, protocol.TypeProtobuf, "\x02\x08\x01\x00", "\x02\x08\x01\x00"},
	} {
		if got := string(newConn(nil, tc.kind, tc.proto, netip.AddrPort{}).frame(nil, []byte(tc.payload))); got != tc.want {
			t.Errorf("%s: %q; want %q", tc.name, got, tc.want)
		}
	}
}

func TestDisconnectPush(t *testing.T) {
	d := wire.Disconnect{Code: 3001, Reason: "shutting down"}
	js, err := disconnectPush(protocol.TypeJSON, d)
	if err != nil || string(js) != `{"push":{"disconnect":{"code":3001,"reason":"shutting down"}}}` {
		t.Fatalf("JSON: %s, %v", js, err)
	}
	pb, err := disconnectPush(protocol.TypeProtobuf, d)
	if err != nil {
		t.Fatal(err)
	}
	n, k := binary.Uvarint(pb)
	var rep protocol.Reply
	if k <= 0 || int(n) != len(pb)-k || rep.UnmarshalCF(pb[k:]) != nil || rep.Push.GetDisconnect().GetCode() != 3001 {
		t.Fatalf("Protobuf: % x decodes to %+v", pb, &rep)
	}
}
