package main

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/pushscan"
)

// codec is how a target's client speaks over the WebSocket: the path, the
// frames that open a session, the reading of every message, and publishing.
type codec interface {
	path() string
	subprotocol() string
	// start sends what opens a session right after the WebSocket handshake.
	start(cs *connSession) error
	// handle reads one message that arrived at now (Unix ns).
	handle(cs *connSession, msg []byte, now int64) error
	// publish returns the command that publishes data (JSON) to channel.
	publish(id uint32, channel string, data []byte) ([]byte, error)
	// send writes a message of this codec's kind (text or binary).
	send(cs *connSession, msg []byte) error
}

func newCodec(kind, proto string) (codec, error) {
	switch {
	case (kind == targetLiveroom || kind == targetCentrifuge) && proto == "json":
		return cfCodec{}, nil
	case (kind == targetLiveroom || kind == targetCentrifuge) && proto == "protobuf":
		return cfCodec{proto: true}, nil
	case kind == targetSocketIO && proto == "json":
		return sioCodec{}, nil
	case kind == targetSocketIO:
		return nil, fmt.Errorf("--proto %q: Socket.IO speaks only its own JSON frames", proto)
	case kind == targetLiveroom || kind == targetCentrifuge:
		return nil, fmt.Errorf("--proto %q: want json or protobuf", proto)
	}
	return nil, fmt.Errorf("--target %q: want liveroom, centrifuge or socketio", kind)
}

// cfCodec speaks the Centrifugo client protocol v2 (liveroom and the
// centrifuge peer): JSON lines in text messages, or varint length-prefixed
// Protobuf in binary messages.
type cfCodec struct{ proto bool }

func (c cfCodec) path() string { return "/connection/websocket" }

func (c cfCodec) subprotocol() string {
	if c.proto {
		return "centrifuge-protobuf"
	}
	return "centrifuge-json"
}

func (c cfCodec) send(cs *connSession, msg []byte) error {
	if c.proto {
		return cs.c.WriteBinary(msg)
	}
	return cs.c.WriteText(msg)
}

// encode appends commands to one message in the codec's framing.
func (c cfCodec) encode(cmds ...*protocol.Command) ([]byte, error) {
	var out []byte
	for i, cmd := range cmds {
		if c.proto {
			b, err := cmd.MarshalCF()
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(out, uint64(len(b)))
			out = append(out, b...)
			continue
		}
		b, err := protocol.NewJSONCommandEncoder().Encode(cmd)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, b...)
	}
	return out, nil
}

// subscribeCmd subscribes to the subscriber's channel, asking to recover
// from its last position when the fleet recovers and it has one.
func (c cfCodec) subscribeCmd(cs *connSession, id uint32) *protocol.Command {
	req := &protocol.SubscribeRequest{Channel: cs.s.channel}
	if last := cs.s.last.Load(); cs.f.cfg.Recover && cs.s.epoch != "" {
		req.Recover, req.Epoch, req.Offset = true, cs.s.epoch, last
	}
	return &protocol.Command{Id: id, Subscribe: req}
}

func (c cfCodec) start(cs *connSession) error {
	connect := &protocol.Command{Id: cs.id(), Connect: &protocol.ConnectRequest{Token: cs.s.token}}
	cs.subID = cs.id()
	msg, err := c.encode(connect, c.subscribeCmd(cs, cs.subID))
	if err != nil {
		return err
	}
	return c.send(cs, msg)
}

func (c cfCodec) publish(id uint32, channel string, data []byte) ([]byte, error) {
	return c.encode(&protocol.Command{Id: id, Publish: &protocol.PublishRequest{Channel: channel, Data: data}})
}

// Pongs: an empty command.
var (
	jsonPong  = []byte("{}")
	protoPong = []byte{0}
)

func (c cfCodec) handle(cs *connSession, msg []byte, now int64) error {
	if c.proto {
		for len(msg) > 0 {
			reply, rest, ok := pushscan.NextProto(msg)
			if !ok {
				return fmt.Errorf("protobuf message: bad length prefix in %x", msg[:min(len(msg), 16)])
			}
			msg = rest
			p, kind := pushscan.ScanProto(reply)
			switch kind {
			case pushscan.ProtoPing:
				if err := c.send(cs, protoPong); err != nil {
					return err
				}
				cs.pinged()
			case pushscan.ProtoPub:
				cs.pub(p, now)
			case pushscan.ProtoJoinLeave:
				cs.push()
			case pushscan.ProtoBad:
				return fmt.Errorf("malformed protobuf reply %x", reply[:min(len(reply), 32)])
			default:
				var r protocol.Reply
				if err := r.UnmarshalCF(reply); err != nil {
					return fmt.Errorf("protobuf reply: %w", err)
				}
				if err := c.reply(cs, &r, now); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for len(msg) > 0 {
		var line []byte
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			line, msg = msg, nil
		}
		// A publication of the tool's shape is the common case: scanned,
		// never decoded. The marker it looks for cannot occur in an
		// unsubscribe or disconnect push.
		if p, ok := pushscan.Scan(line); ok {
			cs.pub(p, now)
			continue
		}
		switch {
		case pushscan.IsPing(line):
			if err := c.send(cs, jsonPong); err != nil {
				return err
			}
			cs.pinged()
		case pushscan.IsPush(line) && !bytes.Contains(line, unsubscribeKey) && !bytes.Contains(line, disconnectKey):
			cs.push()
		default:
			r, err := protocol.NewJSONReplyDecoder(line).Decode()
			if err != nil {
				return fmt.Errorf("reply %.200q: %w", line, err)
			}
			if err := c.reply(cs, r, now); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	unsubscribeKey = []byte(`"unsubscribe":`)
	disconnectKey  = []byte(`"disconnect":`)
)

// reply handles a fully decoded reply: command results and the pushes the
// fast scans leave alone.
func (c cfCodec) reply(cs *connSession, r *protocol.Reply, now int64) error {
	if push := r.Push; push != nil {
		switch {
		case push.Pub != nil:
			p, ok := pushscan.DataTS(push.Pub.Data)
			if !ok {
				cs.push()
				return nil
			}
			p.Offset = push.Pub.Offset
			cs.pub(p, now)
		case push.Unsubscribe != nil:
			if cs.unsubscribed(int(push.Unsubscribe.Code)) {
				cs.subID = cs.id()
				msg, err := c.encode(c.subscribeCmd(cs, cs.subID))
				if err != nil {
					return err
				}
				return c.send(cs, msg)
			}
		case push.Disconnect != nil:
			return &disconnectError{Code: int(push.Disconnect.Code), Reason: push.Disconnect.Reason}
		default:
			cs.push()
		}
		return nil
	}
	var re *replyError
	if r.Error != nil {
		re = &replyError{Code: int(r.Error.Code), Message: r.Error.Message}
	}
	switch {
	case r.Id == 1 && !cs.connected:
		if re != nil {
			return re
		}
		cs.connectDone(now)
	case r.Id == cs.subID && !cs.subscribed:
		if re != nil {
			return re
		}
		res := r.Subscribe
		if res == nil {
			return fmt.Errorf("subscribe reply without a result")
		}
		sr := subReply{Positioned: res.Epoch != "", Offset: res.Offset, Epoch: res.Epoch,
			WasRecovering: res.WasRecovering, Recovered: res.Recovered}
		for _, pub := range res.Publications {
			p, ok := pushscan.DataTS(pub.Data)
			if !ok {
				return fmt.Errorf("recovered publication %.100q: no timestamp", pub.Data)
			}
			p.Offset = pub.Offset
			sr.Pubs = append(sr.Pubs, p)
		}
		cs.subscribeDone(sr, now)
	case r.Id != 0:
		cs.publishReply(re)
	}
	return nil
}
