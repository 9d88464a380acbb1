package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrSessionNotFound is returned by Emulate when no node holds the session
// (it ended, or its node restarted): the client should reconnect.
var ErrSessionNotFound = errors.New("emulation session not found")

const (
	topicEmulation     = "emu." // + node token
	emulationReplyOK   = "ok"
	emulationReplyGone = "gone"
	emulationWait      = 5 * time.Second
)

// Emulate delivers commands that a stream transport's client sent with a
// separate request (the protocol's bidirectional emulation) to the
// connection they belong to: on this node directly, or on its node over
// the control bus, so a cluster needs no sticky sessions. data is one
// transport message of commands in the connection's protocol.
func (h *Hub) Emulate(ctx context.Context, node, session string, data []byte) error {
	if node == "" || node == h.cfg.NodeID {
		c := h.clients.bySession(session)
		if c == nil {
			return ErrSessionNotFound
		}
		c.HandleMessage(data)
		return nil
	}
	var msg bytes.Buffer
	msg.WriteString(session)
	msg.WriteByte('\n')
	msg.Write(data)
	answers, err := h.broker.Gather(ctx, topicEmulation+nodeToken(node), msg.Bytes(), 1, emulationWait)
	if err != nil {
		return fmt.Errorf("hub: emulation to node %q: %w", node, err)
	}
	if len(answers) == 0 || string(answers[0]) != emulationReplyOK {
		return ErrSessionNotFound
	}
	return nil
}

// onEmulation serves Emulate requests from other nodes.
func (h *Hub) onEmulation(data []byte, reply string) {
	session, cmds, ok := bytes.Cut(data, []byte{'\n'})
	answer := emulationReplyGone
	if ok {
		if c := h.clients.bySession(string(session)); c != nil {
			c.HandleMessage(cmds)
			answer = emulationReplyOK
		}
	}
	if reply != "" {
		_ = h.broker.Reply(reply, []byte(answer))
	}
}

// nodeToken makes a node id one control-subject token, reversibly: bytes
// other than letters, digits, '-' and '_' become '~' and two hex digits.
func nodeToken(node string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(node))
	for i := 0; i < len(node); i++ {
		c := node[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		} else {
			out = append(out, '~', hex[c>>4], hex[c&0xF])
		}
	}
	return string(out)
}
