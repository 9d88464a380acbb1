package chat

import (
	"fmt"
	"strings"
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

func TestDescribeTermsCountsPastTwentyChanges(t *testing.T) {
	var to []wire.ChatTerm
	for i := range 25 {
		to = append(to, wire.ChatTerm{Term: fmt.Sprintf("t%02d", i), Action: wire.TermMask})
	}
	got := describeTerms(nil, to)
	if !strings.HasPrefix(got, `added "t00" (mask); `) || !strings.HasSuffix(got, "; 5 more changes; 25 terms now") ||
		strings.Contains(got, `"t20"`) {
		t.Fatalf("describeTerms: %q; want 20 named, 5 counted, the total", got)
	}
}
