package httpstream

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/centrifugal/protocol"
	"github.com/centrifugal/protocol/cfjson"
)

// FuzzConnectJSON feeds arbitrary cf_connect values (and HTTP-streaming
// JSON bodies): no panic, and an accepted message's first non-blank line
// is a connect command with an id.
func FuzzConnectJSON(f *testing.F) {
	f.Add([]byte(`{"id":1,"connect":{"token":"t","name":"js"}}`))
	f.Add([]byte("\n{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{\"channel\":\"c\"}}"))
	f.Add([]byte(`{"id":1,"connect":{"subs":{"room:a":{"recover":true,"offset":5,"epoch":"e"}}}}`))
	f.Add([]byte(`{"id":"1","connect":{}}`))
	f.Add([]byte(`{"connect":{},"connect":{}}`))
	f.Add([]byte(`[{"id":1}]`))
	f.Add([]byte(`{"id":1,"connect":{"data":` + string(bytes.Repeat([]byte("["), 200)) + `}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if err := checkConnect(protocol.TypeJSON, msg); err != nil {
			return
		}
		var first []byte
		for _, line := range bytes.Split(msg, []byte{'\n'}) {
			if len(bytes.TrimSpace(line)) > 0 {
				first = line
				break
			}
		}
		var cmd protocol.Command
		if err := cfjson.Unmarshal(first, &cmd, 0); err != nil || cmd.Connect == nil || cmd.Id == 0 {
			t.Fatalf("accepted %q: first line %q decodes to %+v, %v", msg, first, &cmd, err)
		}
	})
}

// FuzzSplitFrames feeds arbitrary Protobuf transport messages: no panic;
// an accepted message is exactly its frames, each after its varint
// length, in order; a refused one has a length that passes what follows
// (or is no varint); and checkConnect agrees with the split.
func FuzzSplitFrames(f *testing.F) {
	connect, _ := (&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: "t"}}).MarshalCF()
	sub, _ := (&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "room:a"}}).MarshalCF()
	good := binary.AppendUvarint(nil, uint64(len(connect)))
	good = append(good, connect...)
	good = binary.AppendUvarint(good, uint64(len(sub)))
	good = append(good, sub...)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{0})
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3})
	f.Fuzz(func(t *testing.T, msg []byte) {
		frames, err := splitFrames(msg)
		if err != nil {
			if checkConnect(protocol.TypeProtobuf, msg) == nil {
				t.Fatalf("checkConnect accepted %x that splitFrames refuses: %v", msg, err)
			}
			return
		}
		var rebuilt []byte
		for _, fr := range frames {
			n, k := binary.Uvarint(msg[len(rebuilt):])
			if k <= 0 || n != uint64(len(fr)) {
				t.Fatalf("frame of %d bytes after a prefix saying %d (%d)", len(fr), n, k)
			}
			rebuilt = append(rebuilt, msg[len(rebuilt):len(rebuilt)+k]...)
			rebuilt = append(rebuilt, fr...)
		}
		if !bytes.Equal(rebuilt, msg) {
			t.Fatalf("frames rebuild %x; want %x", rebuilt, msg)
		}
		if checkConnect(protocol.TypeProtobuf, msg) == nil {
			var cmd protocol.Command
			if len(frames) == 0 || cmd.UnmarshalCF(frames[0]) != nil || cmd.Connect == nil || cmd.Id == 0 {
				t.Fatalf("checkConnect accepted %x without a connect command first", msg)
			}
		}
	})
}

// FuzzDecodeEmulation feeds arbitrary emulation request bodies in both
// encodings: no panic; an accepted request has a session, data within
// the limit, and routing fields within theirs; a refusal is a 400 or 413.
func FuzzDecodeEmulation(f *testing.F) {
	pb, _ := (&protocol.EmulationRequest{Node: "n", Session: "s", Data: []byte{2, 8, 1}}).MarshalCF()
	f.Add([]byte(`{"session":"s","node":"n","data":"{\"id\":1,\"ping\":{}}"}`), false)
	f.Add([]byte(`{"session":"s","data":"\u0000\ud800"}`), false)
	f.Add([]byte(`{"session":"s","data":{"id":1}}`), false)
	f.Add(pb, true)
	f.Add([]byte{0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f}, true)
	const limit = 64
	f.Fuzz(func(t *testing.T, body []byte, protobuf bool) {
		proto := protocol.TypeJSON
		if protobuf {
			proto = protocol.TypeProtobuf
		}
		e, rerr := decodeEmulation(proto, body, limit)
		if rerr != nil {
			if rerr.status != 400 && rerr.status != 413 || rerr.msg == "" {
				t.Fatalf("refusal %+v", rerr)
			}
			return
		}
		if e.session == "" || len(e.session) > maxSessionLen || len(e.node) > maxNodeLen || len(e.data) == 0 || len(e.data) > limit {
			t.Fatalf("accepted %+v", e)
		}
	})
}

// FuzzFrameSSE checks the SSE framing of arbitrary payloads: the event
// parses back (as EventSource would: lines end at '\n', '\r' or "\r\n";
// data lines joined with '\n') to the payload with '\r' turned to ' '.
func FuzzFrameSSE(f *testing.F) {
	f.Add([]byte(`{"id":1}` + "\n" + `{}`))
	f.Add([]byte("a\r\nb\rc\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out := newConn(nil, kindSSE, protocol.TypeJSON, netip.AddrPort{}).frame(nil, payload)
		if !bytes.HasSuffix(out, []byte("\n\n")) {
			t.Fatalf("event %q does not end with a blank line", out)
		}
		var data [][]byte
		if bytes.Count(out[:len(out)-1], []byte{'\r'}) != 0 {
			t.Fatalf("event %q holds a carriage return", out)
		}
		for _, l := range bytes.Split(out[:len(out)-2], []byte{'\n'}) {
			if !bytes.HasPrefix(l, []byte("data: ")) {
				t.Fatalf("line %q of %q is not a data line", l, out)
			}
			data = append(data, l[len("data: "):])
		}
		want := bytes.ReplaceAll(payload, []byte{'\r'}, []byte{' '})
		if got := bytes.Join(data, []byte{'\n'}); !bytes.Equal(got, want) {
			t.Fatalf("event %q carries %q; want %q", out, got, want)
		}
	})
}
