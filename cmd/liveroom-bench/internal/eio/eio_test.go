package eio

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// fixture is one frame built by Socket.IO's own encoders (testdata/gen.mjs)
// with what a full decode reads from it.
type fixture struct {
	Frame  string  `json:"frame"`
	Kind   string  `json:"kind"`
	ID     *uint64 `json:"id"`
	OK     bool    `json:"ok"`
	Failed bool    `json:"failed"`
	Pub    *struct {
		TS     string `json:"ts"`
		Offset string `json:"offset"`
	} `json:"pub"`
}

var kinds = map[string]Kind{
	"open": Open, "ping": Ping, "pong": Pong, "close": Close, "noop": Noop, "connect": Connect,
	"connect_error": ConnectError, "disconnect": Disconnect, "ack": Ack, "event": Event,
}

func TestFramesOfSocketIOEncoders(t *testing.T) {
	data, err := os.ReadFile("testdata/frames.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx []fixture
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx) < 20 {
		t.Fatalf("%d fixtures", len(fx))
	}
	pubs := 0
	for _, f := range fx {
		frame := []byte(f.Frame)
		p := Parse(frame)
		if want, ok := kinds[f.Kind]; !ok || p.Kind != want {
			t.Errorf("Parse(%s): kind %d, want %q", frame, p.Kind, f.Kind)
		}
		if (f.ID != nil) != p.HasID || (f.ID != nil && *f.ID != p.ID) {
			t.Errorf("Parse(%s): id %d (%v), want %v", frame, p.ID, p.HasID, f.ID)
		}
		if p.Kind == Ack {
			ok, failed := AckOK(p.Data)
			if ok != f.OK || failed != f.Failed {
				t.Errorf("AckOK(%s) = %v, %v; want %v, %v", p.Data, ok, failed, f.OK, f.Failed)
			}
		}
		if p.Kind == Open || p.Kind == Connect || p.Kind == Event || p.Kind == Ack || p.Kind == ConnectError {
			if !json.Valid(p.Data) {
				t.Errorf("Parse(%s): data %q is not JSON", frame, p.Data)
			}
		}
		ts, off, ok := ScanPub(frame)
		if ok != (f.Pub != nil) {
			t.Errorf("ScanPub(%s): ok %v", frame, ok)
			continue
		}
		if f.Pub != nil {
			pubs++
			if strconv.FormatInt(ts, 10) != f.Pub.TS || strconv.FormatUint(off, 10) != f.Pub.Offset {
				t.Errorf("ScanPub(%s) = ts %d offset %d; want %s, %s", frame, ts, off, f.Pub.TS, f.Pub.Offset)
			}
		}
	}
	if pubs < 10 {
		t.Errorf("only %d pub frames", pubs)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"", "4", "9", "47", "43[1]", "4301[1]", "4399999999999999999999[1]", "42x"} {
		p := Parse([]byte(s))
		if s == "42x" {
			if p.Kind != Event || p.HasID {
				t.Errorf("Parse(%q) = %+v", s, p)
			}
			continue
		}
		if p.Kind != Bad {
			t.Errorf("Parse(%q) = %+v, want Bad", s, p)
		}
	}
	for _, s := range []string{
		`42["pub",{"channel":"x","offset":01,"data":{"ts":1}}]`,
		`42["pub",{"channel":"x","offset":1,"data":{"ts":-1}}]`,
		`42["pub",{"channel":"x","offset":1,"data":{"ts":9223372036854775808}}]`,
		`42["pub",{"channel":"x","data":{"ts":1},"offset":1}]`,
		`42["pub",{"channel":"x\","offset":1,"data":{"ts":1}}]`,
		`42["chat",{"channel":"x","offset":1,"data":{"ts":1}}]`,
	} {
		if _, _, ok := ScanPub([]byte(s)); ok {
			t.Errorf("ScanPub(%s) ok", s)
		}
	}
}

func TestAppend(t *testing.T) {
	b, ok := AppendConnect(nil, "eyJ.a-b_c.d")
	if !ok || string(b) != `40{"token":"eyJ.a-b_c.d"}` {
		t.Errorf("AppendConnect = %s, %v", b, ok)
	}
	if _, ok := AppendConnect(nil, `a"b`); ok {
		t.Error("AppendConnect accepted a quote")
	}
	ev := AppendEvent(nil, 12, "join", []byte(`"room:x"`))
	if p := Parse(ev); string(ev) != `4212["join","room:x"]` || p.Kind != Event || p.ID != 12 {
		t.Errorf("AppendEvent = %s (%+v)", ev, p)
	}
	if ev := AppendEvent(nil, 0, "chat", []byte(`{}`)); string(ev) != `42["chat",{}]` {
		t.Errorf("AppendEvent = %s", ev)
	}
}

// goFrame encodes a pub event as JSON.stringify would (no HTML escaping).
func goFrame(t testing.TB, channel string, offset uint64, ts int64, pad string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	payload := struct {
		Channel string `json:"channel"`
		Offset  uint64 `json:"offset"`
		Data    struct {
			TS  int64  `json:"ts"`
			Pad string `json:"pad"`
		} `json:"data"`
	}{Channel: channel, Offset: offset}
	payload.Data.TS, payload.Data.Pad = ts, pad
	if err := enc.Encode([]any{"pub", payload}); err != nil {
		t.Fatal(err)
	}
	return append([]byte("42"), bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}

// FuzzScanPubEncoded: whatever the channel, offset, timestamp and padding,
// ScanPub reads back what was encoded.
func FuzzScanPubEncoded(f *testing.F) {
	f.Add("room:bench", uint64(1), int64(1764000000123456789), "xx")
	f.Add(`a","offset":1,"data":{"ts":2`, uint64(0), int64(0), `"\`)
	f.Add("\\\\\"", uint64(1<<64-1), int64(1<<63-1), "")
	f.Fuzz(func(t *testing.T, channel string, offset uint64, ts int64, pad string) {
		if ts < 0 {
			t.Skip()
		}
		frame := goFrame(t, channel, offset, ts, pad)
		gotTS, gotOff, ok := ScanPub(frame)
		if !ok || gotTS != ts || gotOff != offset {
			t.Fatalf("ScanPub(%s) = %d, %d, %v; want %d, %d", frame, gotTS, gotOff, ok, ts, offset)
		}
		if p := Parse(frame); p.Kind != Event || p.HasID {
			t.Fatalf("Parse(%s) = %+v", frame, p)
		}
	})
}

// FuzzScanPubArbitrary: ScanPub never panics, and whatever it accepts that
// decodes as a pub event agrees with the full decode.
func FuzzScanPubArbitrary(f *testing.F) {
	f.Add([]byte(`42["pub",{"channel":"x","offset":3,"data":{"ts":4,"pad":""}}]`))
	f.Add([]byte(`42["pub",{"channel":"x\\","offset":3,"data":{"ts":4}}]`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		ts, off, ok := ScanPub(frame)
		_ = Parse(frame)
		if !ok {
			return
		}
		var ev []json.RawMessage
		if json.Unmarshal(frame[2:], &ev) != nil || len(ev) != 2 {
			return
		}
		var payload struct {
			Offset *uint64 `json:"offset"`
			Data   struct {
				TS *int64 `json:"ts"`
			} `json:"data"`
		}
		if json.Unmarshal(ev[1], &payload) != nil || payload.Offset == nil || payload.Data.TS == nil {
			return
		}
		if bytes.Count(frame, []byte(`"offset"`)) > 1 || bytes.Count(frame, []byte(`"ts"`)) > 1 || bytes.Count(frame, []byte(`"data"`)) > 1 {
			return // duplicate keys: a full decode takes the last, outside the peer's shape
		}
		if *payload.Offset != off || *payload.Data.TS != ts {
			t.Fatalf("ScanPub(%s) = %d, %d; decode %d, %d", frame, ts, off, *payload.Data.TS, *payload.Offset)
		}
	})
}
