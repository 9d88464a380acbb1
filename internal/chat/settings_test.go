package chat

import (
	"testing"

	"github.com/liveroom-dev/liveroom/wire"
)

// A link policy the room's state does not name (a snapshot without one,
// or a value a newer server wrote) is read as "members", never as
// "allow": a missing setting must not open the room to links.
func TestUnknownLinkPolicyIsNotAllow(t *testing.T) {
	cfg := DefaultConfig()
	for _, links := range []string{"", "sometimes"} {
		r := NewRoom(&cfg, "lobby")
		pub := newPublic(&cfg)
		pub.Settings = wire.ChatSettings{Links: links}
		r.Restore(pub, nil)
		_, err := r.Decide(Send{Actor: Actor{User: "newbie"}, NewID: "m1", Text: "see example.com"}, t0)
		if we, ok := err.(*wire.Error); !ok || we.Code != wire.CodeChatLink {
			t.Errorf("links %q: a new user's link answered %v; want error %d", links, err, wire.CodeChatLink)
		}
	}
}
