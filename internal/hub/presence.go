package hub

import (
	"github.com/centrifugal/protocol"
)

// Presence events travel between nodes as one kind byte followed by the
// Protobuf-encoded ClientInfo.
const (
	presenceJoin  byte = 1
	presenceLeave byte = 2
)

// publishPresenceEvent announces a join or leave to every node with
// subscribers of the channel.
func (h *Hub) publishPresenceEvent(id ChannelID, join bool, info []byte) {
	kind := presenceLeave
	if join {
		kind = presenceJoin
	}
	body := make([]byte, 0, 1+len(info))
	body = append(body, kind)
	body = append(body, info...)
	if err := h.broker.PublishEphemeral(id, EphemeralPresence, body); err != nil {
		h.log.Warn("presence event not sent", "channel", id.Name, "err", err)
	}
}

// onPresenceEvent pushes a join or leave to the channel's local
// subscribers.
func (ch *channel) onPresenceEvent(body []byte) {
	if len(body) < 1 {
		return
	}
	var info protocol.ClientInfo
	if err := info.UnmarshalCF(body[1:]); err != nil {
		ch.hub.log.Error("dropping undecodable presence event", "channel", ch.id.Name, "err", err)
		return
	}
	push := &protocol.Push{Channel: ch.id.Name}
	switch body[0] {
	case presenceJoin:
		push.Join = &protocol.Join{Info: &info}
	case presenceLeave:
		push.Leave = &protocol.Leave{Info: &info}
	default:
		return
	}
	var enc [2][]byte
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.stopped {
		return
	}
	for c := range ch.subs.all() {
		i := 0
		if c.proto != protocol.TypeJSON {
			i = 1
		}
		if enc[i] == nil {
			data, err := protocol.GetReplyEncoder(c.proto).Encode(&protocol.Reply{Push: push})
			if err != nil {
				return
			}
			enc[i] = data
		}
		c.enqueue(enc[i])
	}
}
