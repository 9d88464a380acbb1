package server_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// noticeLog collects the account notices a device receives on its
// personal channel.
type noticeLog struct {
	mu sync.Mutex
	ns []wire.AccountNotice
}

func (l *noticeLog) attach(s *centrifuge.Subscription) {
	s.OnPublication(func(e centrifuge.PublicationEvent) {
		var n wire.AccountNotice
		if json.Unmarshal(e.Data, &n) == nil {
			l.mu.Lock()
			l.ns = append(l.ns, n)
			l.mu.Unlock()
		}
	})
}

func (l *noticeLog) find(typ, session string) *wire.AccountNotice {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.ns {
		if l.ns[i].Type == typ && (session == "" || l.ns[i].Session == session) {
			n := l.ns[i]
			return &n
		}
	}
	return nil
}

// disconnects records a client's disconnect events.
type disconnects struct {
	mu sync.Mutex
	ev []centrifuge.DisconnectedEvent
	at time.Time
}

func (d *disconnects) attach(c *centrifuge.Client) {
	c.OnDisconnected(func(e centrifuge.DisconnectedEvent) {
		d.mu.Lock()
		d.ev = append(d.ev, e)
		d.at = time.Now()
		d.mu.Unlock()
	})
}

func (d *disconnects) last() (centrifuge.DisconnectedEvent, time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.ev) == 0 {
		return centrifuge.DisconnectedEvent{}, time.Time{}, false
	}
	return d.ev[len(d.ev)-1], d.at, true
}

// Two devices of one user, with the real Go SDK fetching its tokens from
// the refresh endpoint: a new sign-in is announced to the other device;
// revoking device B from device A closes B's connection within a second
// with 4500 "session revoked from another device"; B can neither refresh
// nor reconnect with the token it still holds; A is told.
func TestRevokeDeviceClosesItsConnectionsAndTokens(t *testing.T) {
	node := startAccounts(t, nil)
	a := acctSignUp(t, node, "ada@example.com", "Ada")
	user := a.User.ID

	// Device A: the SDK gets its token by refreshing (rotating) the
	// session, as an app would.
	devAKeys := &nativeDevice{t: t, node: node, refresh: a.RefreshToken}
	getToken := func(centrifuge.ConnectionTokenEvent) (string, error) {
		tok, ok := devAKeys.token()
		if !ok {
			return "", centrifuge.ErrUnauthorized
		}
		return tok, nil
	}
	devA := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{GetToken: getToken})
	subA, err := devA.NewSubscription("personal:" + user)
	if err != nil {
		t.Fatal(err)
	}
	var aNotices noticeLog
	aNotices.attach(subA)
	subscribed := make(chan struct{})
	subA.OnSubscribed(func(centrifuge.SubscribedEvent) { close(subscribed) })
	if err := subA.Subscribe(); err != nil {
		t.Fatal(err)
	}
	<-subscribed

	// Device B signs in: A is told, naming B's device.
	b := acctSignIn(t, node, "ada@example.com", "Ada's phone")
	testkit.Eventually(t, 5*time.Second, func() bool { return aNotices.find(wire.NoticeSignIn, b.Session) != nil }, "A sees B's sign-in")
	if n := aNotices.find(wire.NoticeSignIn, b.Session); n.Device != "Ada's phone" || n.Address != "127.0.0.1" {
		t.Fatalf("new sign-in notice %+v", n)
	}
	devB := connect(t, centrifuge.NewProtobufClient, node.WSURL, centrifuge.Config{Token: b.Token})
	var bGone disconnects
	bGone.attach(devB)

	// A lists its devices with its connection token, then revokes B.
	var list struct {
		Sessions []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
			Device  struct {
				Name string `json:"name"`
			} `json:"device"`
		} `json:"sessions"`
	}
	aToken, _ := devAKeys.token()
	r := doHTTP(t, node, httpCall{method: http.MethodGet, path: "/account/sessions", bearer: aToken})
	if r.status != http.StatusOK {
		t.Fatalf("sessions: %d %s", r.status, r.body)
	}
	r.decode(t, &list)
	if len(list.Sessions) != 2 || !list.Sessions[0].Current || list.Sessions[1].ID != b.Session || list.Sessions[1].Device.Name != "Ada's phone" {
		t.Fatalf("device list %s", r.body)
	}
	revokedAt := time.Now()
	r = doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/sessions/revoke", bearer: aToken, body: map[string]string{"session": b.Session}})
	if r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { _, _, ok := bGone.last(); return ok }, "B disconnected")
	ev, at, _ := bGone.last()
	if ev.Code != 4500 || ev.Reason != "session revoked from another device" {
		t.Fatalf("B disconnected with %d %q", ev.Code, ev.Reason)
	}
	took := at.Sub(revokedAt)
	if took > time.Second {
		t.Errorf("B was cut %v after the revoke was sent; the requirement is within 1 s", took)
	}
	t.Logf("B was cut %v after the revoke was sent", took)
	if devB.State() != centrifuge.StateDisconnected {
		t.Fatalf("B is %s; a terminal code must not reconnect", devB.State())
	}

	// B cannot refresh…
	r = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": b.RefreshToken})
	wantRefusal(t, "B's refresh", r, http.StatusUnauthorized, wire.CodeSessionRevoked, "session revoked from another device")
	// …nor reconnect with the connection token it still holds.
	raw := dialP(t, node.WSURL)
	if err := raw.send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: b.Token}}); err != nil {
		t.Fatal(err)
	}
	if code, reason := raw.closed(testTimeout); code != 4500 || reason != "session revoked from another device" {
		t.Fatalf("B's reconnect closed with %d %q", code, reason)
	}
	// A is told, and keeps working.
	testkit.Eventually(t, 5*time.Second, func() bool { return aNotices.find(wire.NoticeSessionRevoked, b.Session) != nil }, "A sees the revoke")
	if devA.State() != centrifuge.StateConnected {
		t.Fatalf("A is %s", devA.State())
	}
}

// nativeDevice is a native app's session: it keeps the current refresh
// token and exchanges it for connection tokens.
type nativeDevice struct {
	t    *testing.T
	node *testkit.Node

	mu      sync.Mutex // guards refresh
	refresh string
}

func (d *nativeDevice) token() (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := postJSON(d.t, d.node, "/account/refresh", map[string]string{"refresh_token": d.refresh})
	var g grantResp
	if r.status != http.StatusOK || json.Unmarshal(r.body, &g) != nil {
		return "", false
	}
	d.refresh = g.RefreshToken
	return g.Token, true
}
