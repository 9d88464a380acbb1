package server_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// A session ended while one of its connects is between the token check
// and the binding of the connection: the disconnect order finds no bound
// connection of that session on the node, yet the connect must still be
// closed with the session's end code, not left open until its token
// expires.
func TestSessionEndedDuringAConnectClosesThatConnect(t *testing.T) {
	node := startAccounts(t, nil)
	a := acctSignUp(t, node, "ada@example.com", "Ada")
	b := acctSignIn(t, node, "ada@example.com", "Ada's phone")

	// A witness of session B, bound: once it is closed, the order has
	// been applied on this node.
	witness := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	witness.Connect(b.Token)

	admitted := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	node.Server.AfterAdmit(func(user, session string) {
		if session != b.Session {
			return
		}
		once.Do(func() {
			close(admitted)
			<-release
		})
	})
	t.Cleanup(func() { node.Server.AfterAdmit(nil) })

	late := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	late.Send(&protocol.Command{Connect: &protocol.ConnectRequest{Token: b.Token}})
	select {
	case <-admitted:
	case <-time.After(testTimeout):
		t.Fatal("the connect never reached the guard")
	}

	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/sessions/revoke", bearer: a.Token,
		body: map[string]string{"session": b.Session}})
	if r.status != http.StatusOK {
		close(release)
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if code, reason := witness.Closed(testTimeout); code != 4500 {
		close(release)
		t.Fatalf("witness closed with %d %q; want 4500", code, reason)
	}
	close(release)

	code, reason := late.Closed(testTimeout)
	if code != 4500 || reason != "session revoked from another device" {
		t.Fatalf("the connect admitted before the revoke closed with %d %q; want 4500", code, reason)
	}
}
