package server_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// presenceLog records a subscription's joins and leaves in arrival order.
type presenceLog struct {
	mu     sync.Mutex
	events []presenceEvent
}

type presenceEvent struct {
	join         bool
	user, client string
}

func (l *presenceLog) attach(s *centrifuge.Subscription) {
	add := func(join bool, ci centrifuge.ClientInfo) {
		l.mu.Lock()
		l.events = append(l.events, presenceEvent{join, ci.User, ci.Client})
		l.mu.Unlock()
	}
	s.OnJoin(func(e centrifuge.JoinEvent) { add(true, e.ClientInfo) })
	s.OnLeave(func(e centrifuge.LeaveEvent) { add(false, e.ClientInfo) })
}

// of returns the events for user, oldest first.
func (l *presenceLog) of(user string) []presenceEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []presenceEvent
	for _, e := range l.events {
		if e.user == user {
			out = append(out, e)
		}
	}
	return out
}

func countEvents(evs []presenceEvent, join bool) int {
	n := 0
	for _, e := range evs {
		if e.join == join {
			n++
		}
	}
	return n
}

// C15: presence ghosts. Ping interval P = 400 ms, pong timeout T = 200 ms,
// no reconnect grace (G = 0). A watches channel C's joins and leaves.
//
// Reconnect policy (step 4): there is no grace period. A client that loses
// its connection and comes back is a new connection: A sees a leave for the
// old client id, then a join for the new one, and the user is listed
// exactly once at the end.
func TestC15PresenceGhosts(t *testing.T) {
	const P, T = 400 * time.Millisecond, 200 * time.Millisecond
	const sweep = T / 4 // the hub's sweep interval: a quarter of its shortest timer
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(P)
		c.Client.PongTimeout = config.Duration(T)
	})
	const ch = "room:c15"
	a := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("a")})
	aSub, err := a.NewSubscription(ch)
	if err != nil {
		t.Fatal(err)
	}
	log := &presenceLog{}
	log.attach(aSub)
	subscribedOn := func(c *centrifuge.Client) {
		t.Helper()
		subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
	}
	if err := aSub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return len(log.of("a")) == 1 }, "A sees its own join")
	listed := func(user string) int {
		n := 0
		for _, u := range presenceUsers(t, node, ch) {
			if u == user {
				n++
			}
		}
		return n
	}
	joinSeen := func(user string, n int) {
		t.Helper()
		testkit.Eventually(t, 5*time.Second, func() bool { return countEvents(log.of(user), true) == n }, "A sees join %d of %s", n, user)
	}
	reconnecting := centrifuge.Config{MinReconnectDelay: 100 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond}

	// Step 1: B is black-holed (no FIN, no RST): within P+T+1 s plus the
	// sweep, presence excludes B and A has exactly one leave for B.
	cut1 := testkit.NewCutter()
	cfg := reconnecting
	cfg.Token, cfg.NetDialContext = node.Token("b1"), cut1.Dial
	b1 := connect(t, centrifuge.NewJsonClient, node.WSURL, cfg)
	t.Cleanup(cut1.Restore) // before b1.Close (cleanups run last-in first-out)
	subscribedOn(b1)
	joinSeen("b1", 1)
	cut1.Cut()
	testkit.Eventually(t, P+T+time.Second+2*sweep, func() bool {
		return listed("b1") == 0 && countEvents(log.of("b1"), false) == 1
	}, "black-holed B left (listed %d, events %v)", listed("b1"), log.of("b1"))
	if n := node.Server.Hub().Stats().Disconnects[3012]; n != 1 {
		t.Fatalf("%d connections closed with 3012; want B's, for the missing pong", n)
	}

	// Step 2: a clean close: the leave within 1 s.
	b2 := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("b2")})
	subscribedOn(b2)
	joinSeen("b2", 1)
	b2.Close()
	testkit.Eventually(t, time.Second, func() bool {
		return listed("b2") == 0 && countEvents(log.of("b2"), false) == 1
	}, "closed B left within 1 s (events %v)", log.of("b2"))

	// Step 3: user U with two connections.
	stats := func() (clients, users int) {
		var out struct {
			Clients int `json:"num_clients"`
			Users   int `json:"num_users"`
		}
		if s := node.API("presence_stats", map[string]string{"channel": ch}, &out); s != http.StatusOK {
			t.Fatalf("presence_stats: %d", s)
		}
		return out.Clients, out.Users
	}
	u1 := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("u")})
	subscribedOn(u1)
	u2 := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("u")})
	subscribedOn(u2)
	joinSeen("u", 2)
	clients0, users0 := stats()
	u1.Close()
	testkit.Eventually(t, 5*time.Second, func() bool {
		c, _ := stats()
		return c == clients0-1 && countEvents(log.of("u"), false) == 1
	}, "first connection of U left (events %v)", log.of("u"))
	if _, users := stats(); users != users0 || listed("u") != 1 {
		t.Fatalf("after U's first close: %d users (was %d), U listed %d times; want U still listed once", users, users0, listed("u"))
	}
	u2.Close()
	testkit.Eventually(t, 5*time.Second, func() bool {
		_, users := stats()
		return users == users0-1 && listed("u") == 0 && countEvents(log.of("u"), false) == 2
	}, "second connection of U left (events %v)", log.of("u"))

	// Step 4: B drops and reconnects at once: a leave for the old client,
	// then a join for the new one; listed exactly once.
	cut4 := testkit.NewCutter()
	cfg = reconnecting
	cfg.Token, cfg.NetDialContext = node.Token("b4"), cut4.Dial
	b4 := connect(t, centrifuge.NewJsonClient, node.WSURL, cfg)
	t.Cleanup(cut4.Restore)
	subscribedOn(b4)
	joinSeen("b4", 1)
	cut4.Cut()
	cut4.Restore() // closes the connection under the client, which reconnects
	joinSeen("b4", 2)
	testkit.Eventually(t, 5*time.Second, func() bool { return listed("b4") == 1 }, "B listed once after reconnecting")
	ev := log.of("b4")
	if len(ev) != 3 || !ev[0].join || ev[1].join || !ev[2].join || ev[1].client != ev[0].client || ev[2].client == ev[0].client {
		t.Fatalf("B's events %+v; want join, leave of that client, join of a new client", ev)
	}

	// Nothing more arrives for anyone: a last join, published after all of
	// the above, reaches A behind any late duplicate.
	m := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("marker")})
	subscribedOn(m)
	joinSeen("marker", 1)
	for user, want := range map[string]string{"b1": "join leave", "b2": "join leave", "u": "join join leave leave", "b4": "join leave join"} {
		if got := describe(log.of(user)); got != want {
			t.Fatalf("events for %s: %s; want %s", user, got, want)
		}
	}
}

func describe(evs []presenceEvent) string {
	words := make([]string, len(evs))
	for i, e := range evs {
		words[i] = map[bool]string{true: "join", false: "leave"}[e.join]
	}
	return strings.Join(words, " ")
}
