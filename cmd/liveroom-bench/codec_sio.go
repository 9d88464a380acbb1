package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/eio"
	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/pushscan"
)

// sioCodec speaks Engine.IO v4 / Socket.IO v5 to the Socket.IO peer
// (bench/peers/socketio/README.md): the server opens with 0{…}, the client
// connects with 40{"token":…}, joins its room with an acknowledged "join"
// event, answers every ping 2 with 3, and reads 42["pub",…] events. There is
// no recovery: a client that comes back joins again and misses what was
// published meanwhile (its offsets show the gap).
type sioCodec struct{}

func (sioCodec) path() string        { return "/socket.io/?EIO=4&transport=websocket" }
func (sioCodec) subprotocol() string { return "" }

func (sioCodec) send(cs *connSession, msg []byte) error { return cs.c.WriteText(msg) }

// start sends nothing: the server speaks first.
func (sioCodec) start(*connSession) error { return nil }

var sioPong = []byte("3")

func (c sioCodec) publish(id uint32, channel string, data []byte) ([]byte, error) {
	room, err := json.Marshal(channel)
	if err != nil {
		return nil, err
	}
	arg := make([]byte, 0, len(room)+len(data)+20)
	arg = append(append(append(arg, `{"room":`...), room...), `,"data":`...)
	arg = append(append(arg, data...), '}')
	return eio.AppendEvent(nil, uint64(id), "chat", arg), nil
}

func (c sioCodec) handle(cs *connSession, msg []byte, now int64) error {
	p := eio.Parse(msg)
	switch p.Kind {
	case eio.Ping:
		if err := c.send(cs, sioPong); err != nil {
			return err
		}
		cs.pinged()
	case eio.Event:
		if ts, off, ok := eio.ScanPub(msg); ok {
			cs.pub(pushscan.Pub{TS: ts, Offset: off}, now)
		} else {
			cs.push()
		}
	case eio.Open:
		connect, ok := eio.AppendConnect(nil, cs.s.token)
		if !ok {
			return errors.New("socket.io: token needs escaping")
		}
		return c.send(cs, connect)
	case eio.Connect:
		if cs.connected {
			return nil
		}
		cs.connectDone(now)
		room, err := json.Marshal(cs.s.channel)
		if err != nil {
			return err
		}
		cs.subID = cs.id()
		return c.send(cs, eio.AppendEvent(nil, uint64(cs.subID), "join", room))
	case eio.Ack:
		ok, failed := eio.AckOK(p.Data)
		switch {
		case p.ID == uint64(cs.subID) && !cs.subscribed:
			if !ok {
				return sioAckError(p.Data)
			}
			cs.subscribeDone(subReply{}, now)
		case failed:
			cs.publishReply(sioAckError(p.Data))
		default:
			cs.publishReply(nil)
		}
	case eio.ConnectError:
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(p.Data, &e)
		return &replyError{Code: 101, Message: "socket.io connect error: " + e.Message}
	case eio.Close, eio.Disconnect:
		return &disconnectError{Code: 0, Reason: "socket.io: server closed the session"}
	case eio.Bad:
		return fmt.Errorf("socket.io: malformed frame %.100q", msg)
	}
	return nil
}

// sioAckError reads {"error":{"code","message"}} from an ack's answer.
func sioAckError(data []byte) *replyError {
	var answer []struct {
		Error *replyError `json:"error"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || len(answer) != 1 || answer[0].Error == nil {
		return &replyError{Code: 0, Message: fmt.Sprintf("socket.io: unexpected answer %.100q", data)}
	}
	return answer[0].Error
}
