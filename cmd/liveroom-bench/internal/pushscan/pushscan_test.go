package pushscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/centrifugal/protocol"
)

// encodePush encodes a publication push with the protocol's own encoder, as
// the server does.
func encodePush(t testing.TB, channel string, ts int64, offset uint64, pad int) []byte {
	t.Helper()
	data := fmt.Sprintf(`{"ts":%d,"pad":"%s"}`, ts, strings.Repeat("x", pad))
	b, err := protocol.NewJSONReplyEncoder().Encode(&protocol.Reply{Push: &protocol.Push{
		Channel: channel, Pub: &protocol.Publication{Data: []byte(data), Offset: offset},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScan(t *testing.T) {
	cases := []struct {
		line   string
		ok     bool
		ts     int64
		offset uint64
	}{
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":123,"pad":"xx"},"offset":7}}}`, true, 123, 7},
		{`{"push":{"channel":"reactions:x","pub":{"data":{"ts":9,"pad":""}}}}`, true, 9, 0},
		{`{"push":{"channel":"a\",\"pub\":{\"data\":{\"ts\":1","pub":{"data":{"ts":5,"pad":""},"offset":2}}}`, true, 5, 2},
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":5,"pad":"x"},"info":{"user":"u","client":"c"},"offset":9}}}`, true, 5, 9},
		{`{"push":{"channel":"a\\","pub":{"data":{"ts":6,"pad":""},"offset":3}}}`, true, 6, 3},
		{`{"push":{"channel":"room:x","join":{"info":{"user":"u"}}}}`, false, 0, 0},
		{`{"id":1,"publish":{}}`, false, 0, 0},
		{`{}`, false, 0, 0},
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":9223372036854775808}}}}`, false, 0, 0},
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":9223372036854775807}}}}`, true, 1<<63 - 1, 0},
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":01}}}}`, false, 0, 0},
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":-1}}}}`, false, 0, 0},
		{`{"push":{"channel":"room:x","pub":{"data":{"ts":1},"offset":18446744073709551616}}}`, false, 0, 0},
	}
	for _, c := range cases {
		p, ok := Scan([]byte(c.line))
		if ok != c.ok || p.TS != c.ts || p.Offset != c.offset {
			t.Errorf("Scan(%s) = %+v, %v; want ts %d offset %d, %v", c.line, p, ok, c.ts, c.offset, c.ok)
		}
	}
	if !IsPing([]byte("{}")) || IsPing([]byte("{} ")) || IsPing([]byte(`{"id":1}`)) {
		t.Error("IsPing")
	}
}

// FuzzScanEncoded: whatever the channel name, timestamp, offset and padding,
// Scan reads back exactly what the protocol encoder wrote.
func FuzzScanEncoded(f *testing.F) {
	f.Add("room:bench", int64(1700000000000000000), uint64(1), 10)
	f.Add(`a","pub":{"data":{"ts":1`, int64(0), uint64(0), 0)
	f.Add("名前:\\\"x", int64(1<<63-1), uint64(1<<64-1), 300)
	f.Fuzz(func(t *testing.T, channel string, ts int64, offset uint64, pad int) {
		if ts < 0 || pad < 0 || pad > 4096 {
			t.Skip()
		}
		line := encodePush(t, channel, ts, offset, pad)
		p, ok := Scan(line)
		if !ok || p.TS != ts || p.Offset != offset {
			t.Fatalf("Scan(%s) = %+v, %v; want ts %d offset %d", line, p, ok, ts, offset)
		}
	})
}

// FuzzScanArbitrary: Scan never panics, and whenever it accepts a line that
// is a valid publication push, it agrees with a full JSON decode.
func FuzzScanArbitrary(f *testing.F) {
	f.Add([]byte(`{"push":{"channel":"room:x","pub":{"data":{"ts":123,"pad":"xx"},"offset":7}}}`))
	f.Add([]byte(`{"push":{"channel":"room:x","pub":{"data":{"ts":1}}}}`))
	f.Add([]byte(`{"push":{"channel":"x","pub":{"data":{"ts":12,"offset":3},"offset":4}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		p, ok := Scan(line)
		if !ok {
			return
		}
		var full struct {
			Push struct {
				Pub struct {
					Data struct {
						TS  *int64  `json:"ts"`
						Pad *string `json:"pad"`
					} `json:"data"`
					Offset uint64 `json:"offset"`
				} `json:"pub"`
			} `json:"push"`
		}
		if json.Unmarshal(line, &full) != nil || full.Push.Pub.Data.TS == nil || full.Push.Pub.Data.Pad == nil {
			return // not a push of the tool's shape: no promise made
		}
		if strings.ContainsAny(*full.Push.Pub.Data.Pad, `"\`) || strings.Count(string(line), `"offset"`) > 1 {
			return // outside the documented shape
		}
		if p.TS != *full.Push.Pub.Data.TS || p.Offset != full.Push.Pub.Offset {
			t.Fatalf("Scan(%s) = %+v; full decode ts %d offset %d", line, p, *full.Push.Pub.Data.TS, full.Push.Pub.Offset)
		}
	})
}

func BenchmarkScan(b *testing.B) {
	line := encodePush(b, "room:bench", 1700000000000000000, 123456, 100)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, ok := Scan(line); !ok {
			b.Fatal("not found")
		}
	}
}
