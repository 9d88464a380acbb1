package module

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// FuzzDecodeRequest: any payload gets a request or a 107 error naming the
// method, never a panic; what decodes has a checked room.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"room":"lobby","text":"hi","cid":"c1"}`, `{"room":"a b"}`, `[]`, `{"room":"x","extra":1}`, `{"room":"x"} {}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req wire.ChatSendRequest
		werr := decodeRoom(wire.MethodChatSend, data, &req, &req.Room)
		if werr != nil {
			if werr.Code != wire.CodeBadRequest || !bytes.Contains([]byte(werr.Message), []byte("chat.send")) {
				t.Fatalf("error %+v does not name the method with 107", werr)
			}
			return
		}
		if wire.ValidateRoom(req.Room) != nil {
			t.Fatalf("accepted room %q", req.Room)
		}
	})
}

// FuzzSplitUser: the server API's "as" is taken out of any object and the
// rest stays a JSON object.
func FuzzSplitUser(f *testing.F) {
	for _, s := range []string{`{"as":"bob","room":"x"}`, `{"as":5}`, `null`, `{}`, `{"as":"a","as":"b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		user, rest, werr := splitUser("chat_send", data)
		if werr != nil {
			return
		}
		if bytes.Contains(rest, []byte(`"as"`)) && user == "" && !bytes.Contains(data, []byte(`"as"`)) {
			t.Fatalf("rest %s has \"as\"", rest)
		}
		if len(rest) < 2 || rest[0] != '{' {
			t.Fatalf("rest %q is not an object", rest)
		}
	})
}

// FuzzDecodeSnapshot: a damaged snapshot is an error, not a panic.
func FuzzDecodeSnapshot(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"offset":3,"epoch":"e","state":{}}`))
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decodeSnapshot(data)
		if err == nil && doc.State == nil && doc.Offset != 0 {
			t.Fatalf("decoded %+v without a state", doc)
		}
	})
}
