package pushscan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/centrifugal/protocol"
)

// frame encodes replies with the protocol's own Protobuf encoders, length
// prefixes included, as a server writes one binary message.
func frame(t testing.TB, replies ...*protocol.Reply) []byte {
	t.Helper()
	enc := protocol.NewProtobufDataEncoder()
	for _, r := range replies {
		b, err := protocol.NewProtobufReplyEncoder().Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(b); err != nil {
			t.Fatal(err)
		}
	}
	return enc.Finish()
}

func pubReply(channel string, ts int64, offset uint64, pad int, info bool) *protocol.Reply {
	data := fmt.Sprintf(`{"ts":%d,"pad":"%s"}`, ts, strings.Repeat("x", pad))
	pub := &protocol.Publication{Data: []byte(data), Offset: offset}
	if info {
		pub.Info = &protocol.ClientInfo{User: "u", Client: "c", ConnInfo: []byte(`{"ts":1}`)}
		pub.Tags = map[string]string{"k": "v"}
	}
	return &protocol.Reply{Push: &protocol.Push{Channel: channel, Pub: pub}}
}

// splitAll splits a message into its replies, failing on a bad prefix.
func splitAll(t testing.TB, msg []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(msg) > 0 {
		r, rest, ok := NextProto(msg)
		if !ok {
			t.Fatalf("NextProto(%x): not ok", msg)
		}
		out = append(out, r)
		msg = rest
	}
	return out
}

func TestScanProtoKinds(t *testing.T) {
	msg := frame(t,
		&protocol.Reply{}, // ping
		&protocol.Reply{Id: 7, Publish: &protocol.PublishResult{}},
		&protocol.Reply{Id: 3, Error: &protocol.Error{Code: 103, Message: "no"}},
		pubReply("room:x", 123, 9, 3, false),
		&protocol.Reply{Push: &protocol.Push{Channel: "room:x", Join: &protocol.Join{Info: &protocol.ClientInfo{User: "u"}}}},
		&protocol.Reply{Push: &protocol.Push{Channel: "room:x", Leave: &protocol.Leave{Info: &protocol.ClientInfo{User: "u"}}}},
		&protocol.Reply{Push: &protocol.Push{Channel: "room:x", Unsubscribe: &protocol.Unsubscribe{Code: 2500}}},
		&protocol.Reply{Push: &protocol.Push{Channel: "room:x", Pub: &protocol.Publication{Data: []byte(`{"x":1}`), Offset: 3}}},
		&protocol.Reply{Push: &protocol.Push{Disconnect: &protocol.Disconnect{Code: 3008, Reason: "slow"}}},
	)
	want := []ProtoKind{ProtoPing, ProtoReply, ProtoReply, ProtoPub, ProtoJoinLeave, ProtoJoinLeave, ProtoPush, ProtoPush, ProtoPush}
	replies := splitAll(t, msg)
	if len(replies) != len(want) {
		t.Fatalf("%d replies, want %d", len(replies), len(want))
	}
	for i, r := range replies {
		p, k := ScanProto(r)
		if k != want[i] {
			t.Errorf("reply %d (%x): kind %d, want %d", i, r, k, want[i])
		}
		if k == ProtoPub && (p.TS != 123 || p.Offset != 9) {
			t.Errorf("reply %d: %+v", i, p)
		}
	}
}

func TestNextProtoRefusesBadPrefixes(t *testing.T) {
	for _, msg := range [][]byte{
		{0x05, 1, 2}, // claims 5, holds 2
		{0x80},       // truncated varint
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, // over 64 bits
	} {
		if _, _, ok := NextProto(msg); ok {
			t.Errorf("NextProto(%x) ok", msg)
		}
	}
	if r, rest, ok := NextProto([]byte{0x00, 0x01, 0x08}); !ok || len(r) != 0 || len(rest) != 2 {
		t.Errorf("empty reply: %x %x %v", r, rest, ok)
	}
}

func TestScanProtoRefusesMalformed(t *testing.T) {
	good := splitAll(t, frame(t, pubReply("room:x", 5, 2, 0, false)))[0]
	for cut := 1; cut < len(good); cut++ {
		if _, k := ScanProto(good[:cut]); k == ProtoPub {
			t.Errorf("truncated at %d of %d: still a publication", cut, len(good))
		}
	}
	for _, r := range [][]byte{{0x0b}, {0x00}, {0x22, 0x02, 0x23, 0x00}} { // group, field 0, group inside push
		if _, k := ScanProto(r); k != ProtoBad {
			t.Errorf("ScanProto(%x) = %d, want bad", r, k)
		}
	}
}

// FuzzScanProtoEncoded: whatever the channel, timestamp, offset, padding and
// the other fields the encoder writes, ScanProto reads back exactly what the
// protocol's own encoder wrote, in a message of several replies.
func FuzzScanProtoEncoded(f *testing.F) {
	f.Add("room:bench", int64(1700000000000000000), uint64(1), 10, false, uint32(0))
	f.Add("", int64(0), uint64(0), 0, true, uint32(1))
	f.Add("名前", int64(1<<63-1), uint64(1<<64-1), 300, true, uint32(1<<32-1))
	f.Fuzz(func(t *testing.T, channel string, ts int64, offset uint64, pad int, info bool, id uint32) {
		if ts < 0 || pad < 0 || pad > 70000 {
			t.Skip()
		}
		msg := frame(t, &protocol.Reply{}, pubReply(channel, ts, offset, pad, info),
			&protocol.Reply{Id: id, Publish: &protocol.PublishResult{}})
		replies := splitAll(t, msg)
		if len(replies) != 3 {
			t.Fatalf("%d replies", len(replies))
		}
		if _, k := ScanProto(replies[0]); k != ProtoPing {
			t.Fatalf("ping: kind %d", k)
		}
		p, k := ScanProto(replies[1])
		if k != ProtoPub || p.TS != ts || p.Offset != offset {
			t.Fatalf("ScanProto(%x) = %+v, %d; want ts %d offset %d", replies[1], p, k, ts, offset)
		}
		want := ProtoReply
		if id == 0 {
			want = ProtoPush // a reply without id and without push: not ours to read
		}
		if _, k := ScanProto(replies[2]); k != want {
			t.Fatalf("publish reply id %d: kind %d, want %d", id, k, want)
		}
	})
}

// FuzzScanProtoArbitrary: ScanProto never panics, and whenever it reads a
// publication the protocol's own decoder agrees on timestamp and offset.
func FuzzScanProtoArbitrary(f *testing.F) {
	f.Add(splitAll(f, frame(f, pubReply("room:x", 77, 5, 4, true)))[0])
	f.Add([]byte{0x22, 0x04, 0x22, 0x02, 0x30, 0x07})
	f.Fuzz(func(t *testing.T, reply []byte) {
		p, k := ScanProto(reply)
		if k != ProtoPub {
			return
		}
		var full protocol.Reply
		if err := full.UnmarshalCF(reply); err != nil {
			return // the decoder is stricter about wire types it does not expect
		}
		if full.Push == nil || full.Push.Pub == nil {
			t.Fatalf("ScanProto(%x) found a publication, the decoder none: %+v", reply, &full)
		}
		want, ok := DataTS(full.Push.Pub.Data)
		if !ok || want.TS != p.TS || full.Push.Pub.Offset != p.Offset {
			t.Fatalf("ScanProto(%x) = %+v; decoder: data %q offset %d", reply, p, full.Push.Pub.Data, full.Push.Pub.Offset)
		}
	})
}

func BenchmarkScanProto(b *testing.B) {
	reply := splitAll(b, frame(b, pubReply("room:bench", 1700000000000000000, 123456, 100, false)))[0]
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		if _, k := ScanProto(reply); k != ProtoPub {
			b.Fatal("not found")
		}
	}
}
