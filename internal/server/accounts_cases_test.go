package server_test

import (
	"bufio"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// C02 on the account endpoints: a forged connection token naming a real,
// live session (alg none in any spelling, no alg, an unknown kid, RS256
// with an unrelated key, a flipped signature byte) is refused as a Bearer
// credential with 401 and does nothing, and as a connect token with 3500;
// the same claims correctly signed are accepted, proving the harness.
func TestC02ForgedTokensOnAccountEndpoints(t *testing.T) {
	const secret = "c02-accounts-secret-0123456789abcdef-0123"
	node := startAccounts(t, func(c *config.Config) {
		c.Auth.Keys = []config.AuthKey{{Algorithm: config.AlgHS256, Secret: secret}}
	})
	g := acctSignUp(t, node, "c02@example.com", "Victim")
	other := acctSignIn(t, node, "c02@example.com", "second device")
	hs := func(in []byte) []byte { m := hmac.New(sha256.New, []byte(secret)); m.Write(in); return m.Sum(nil) }
	unrelated, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	payload := fmt.Sprintf(`{"sub":%q,"sid":%q,"exp":%d,"info":{"name":"Victim"}}`, g.User.ID, g.Session, time.Now().Add(time.Hour).Unix())
	control := forgery{"control", `{"alg":"HS256","typ":"JWT"}`, hs}
	forged := []forgery{
		{"T1 alg none", `{"alg":"none","typ":"JWT"}`, nil},
		{"T2 alg None", `{"alg":"None","typ":"JWT"}`, nil},
		{"T2 alg NONE", `{"alg":"NONE","typ":"JWT"}`, nil},
		{"T2 alg nOnE", `{"alg":"nOnE","typ":"JWT"}`, nil},
		{"T4 alg RS256 signed with an unrelated key", `{"alg":"RS256","typ":"JWT"}`, rsSignWith(unrelated)},
		{"T5 no alg", `{"typ":"JWT"}`, hs},
		{"T6 unknown kid", `{"alg":"HS256","typ":"JWT","kid":"no-such-key"}`, hs},
	}
	tokens := map[string]string{}
	for _, f := range forged {
		tokens[f.name] = f.token(payload)
	}
	good := control.token(payload)
	tokens["T7 flipped signature byte"] = good[:len(good)-2] + string(flipB64(good[len(good)-2])) + good[len(good)-1:]

	for name, tok := range tokens {
		for _, c := range []httpCall{
			{method: http.MethodGet, path: "/account/me", bearer: tok},
			{method: http.MethodGet, path: "/account/sessions", bearer: tok},
			{method: http.MethodGet, path: "/account/export", bearer: tok},
			{method: http.MethodPost, path: "/account/sessions/revoke", bearer: tok, body: map[string]bool{"others": true}},
		} {
			if r := doHTTP(t, node, c); r.status != http.StatusUnauthorized {
				t.Errorf("%s on %s %s: %d %s; want 401", name, c.method, c.path, r.status, r.body)
			}
		}
		ws := dialP(t, node.WSURL)
		cmd := &protocol.Command{Connect: &protocol.ConnectRequest{Token: tok}}
		if err := ws.send(cmd); err != nil {
			t.Fatal(err)
		}
		if code, _ := ws.closed(testTimeout); code != 3500 {
			t.Errorf("%s as the connect token: closed with %d; want 3500", name, code)
		}
	}
	// Nothing happened: the other session is alive.
	if r := postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": other.RefreshToken}); r.status != http.StatusOK {
		t.Fatalf("other session after the forgeries: %d %s", r.status, r.body)
	}
	// The control token works, so the refusals above were the signatures'.
	if r := doHTTP(t, node, httpCall{method: http.MethodGet, path: "/account/me", bearer: good}); r.status != http.StatusOK {
		t.Fatalf("control token: %d %s", r.status, r.body)
	}
	// A genuine token from an app's own login (no liveroom session) is not
	// an account credential.
	if r := doHTTP(t, node, httpCall{method: http.MethodGet, path: "/account/me", bearer: node.Token(g.User.ID)}); r.status != http.StatusUnauthorized || r.errCode() != wire.CodeNotSignedIn {
		t.Fatalf("token without a session: %d %s", r.status, r.body)
	}
}

func rsSignWith(k *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		h := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func flipB64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// C03 with accounts: one user's credentials reach nothing of another's —
// not their sessions (revoke answers 404 and ends nothing), not their
// personal channel (103) and so not their notices.
func TestC03AccountsStayWithinTheirUser(t *testing.T) {
	node := startAccounts(t, nil)
	a := acctSignUp(t, node, "a@example.com", "A")
	b := acctSignUp(t, node, "b@example.com", "B")
	bLive := dialP(t, node.WSURL)
	bLive.connect(b.Token)

	r := doHTTP(t, node, httpCall{method: http.MethodPost, path: "/account/sessions/revoke", bearer: a.Token, body: map[string]string{"session": b.Session}})
	wantRefusal(t, "A revoking B's session", r, http.StatusNotFound, wire.CodeNoSuchSession, "no such session")
	bLive.sync()
	var list struct {
		Sessions []struct{ ID string } `json:"sessions"`
	}
	doHTTP(t, node, httpCall{method: http.MethodGet, path: "/account/sessions", bearer: a.Token}).decode(t, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != a.Session {
		t.Fatalf("A's device list shows %+v", list.Sessions)
	}
	// A refresh token stitched from A's user and B's session is not valid.
	parts := strings.Split(a.RefreshToken, ".")
	parts[2] = b.Session
	r = postJSON(t, node, "/account/refresh", map[string]string{"refresh_token": strings.Join(parts, ".")})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("stitched refresh token: %d %s", r.status, r.body)
	}

	aClient := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: a.Token})
	for _, ch := range []string{"personal:" + b.User.ID, "personal:" + b.User.ID + " ", "PERSONAL:" + b.User.ID, "personal:*"} {
		s, err := aClient.NewSubscription(ch)
		if err != nil {
			continue // refused by the SDK itself
		}
		errc := make(chan error, 1)
		s.OnError(func(e centrifuge.SubscriptionErrorEvent) { errc <- e.Error })
		s.OnSubscribed(func(centrifuge.SubscribedEvent) { errc <- nil })
		if err := s.Subscribe(); err != nil {
			continue
		}
		select {
		case err := <-errc:
			if err == nil {
				t.Fatalf("A subscribed to %q", ch)
			}
		case <-time.After(testTimeout):
			t.Fatalf("no answer to A's subscribe to %q", ch)
		}
	}
	// B's next sign-in notice goes to B alone.
	own, err := aClient.NewSubscription("personal:" + a.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	var aNotices noticeLog
	aNotices.attach(own)
	if err := own.Subscribe(); err != nil {
		t.Fatal(err)
	}
	// Subscribed before the sign-ins, so the notice cannot slip past.
	testkit.Eventually(t, testTimeout, func() bool { return own.State() == centrifuge.SubStateSubscribed }, "A subscribed to its personal channel")
	acctSignIn(t, node, "b@example.com", "B's phone")
	acctSignIn(t, node, "a@example.com", "A's phone")
	testkit.Eventually(t, testTimeout, func() bool { return aNotices.find(wire.NoticeSignIn, "") != nil }, "A's own sign-in notice")
	aNotices.mu.Lock()
	defer aNotices.mu.Unlock()
	for _, n := range aNotices.ns {
		if n.Device == "B's phone" {
			t.Fatalf("A received B's notice %+v", n)
		}
	}
}

// C05 on every HTTP entry point: floods of headers, megabytes of headers
// and a Bearer token of dots neither crash nor stall the node; answers are
// consistent (431 past the header limit), and a normal client still gets
// through afterwards.
func TestC05HeaderAbuseOnEveryEntryPoint(t *testing.T) {
	node := startAccounts(t, nil)
	addr := strings.TrimPrefix(node.BaseURL, "http://")
	type entry struct{ method, path, body string }
	entries := []entry{
		{"GET", "/", ""}, {"GET", "/healthz", ""}, {"GET", "/readyz", ""}, {"GET", "/metrics", ""},
		{"GET", "/account.html", ""},
		{"POST", "/api/publish", `{"channel":"room:c05","data":1}`},
		{"POST", "/demo/token", `{"name":"x"}`},
		{"POST", "/account/signin", `{"email":"x@example.com","password":"12345678"}`},
		{"POST", "/account/refresh", `{}`},
		{"GET", "/account/me", ""},
		{"GET", "/connection/websocket", ""},
		{"GET", "/connection/sse?cf_connect=" + url.QueryEscape(`{"id":1,"connect":{}}`), ""},
		{"POST", "/connection/http_stream", `{"id":1,"connect":{}}`},
		{"POST", "/emulation", `{"session":"s","node":"n","data":"{}"}`},
	}
	send := func(e entry, extra string) int {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n%s",
			e.method, e.path, addr, len(e.body), extra, e.body)
		go func() { _, _ = conn.Write([]byte(req)) }() // the server may answer and close before reading it all
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			t.Fatalf("%s %s: no answer: %v", e.method, e.path, err)
		}
		var status int
		if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &status); err != nil {
			t.Fatalf("%s %s: status line %q", e.method, e.path, line)
		}
		return status
	}
	var many strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&many, "%c%c: x\r\n", 'a'+i/26%26, 'a'+i%26)
	}
	huge := "X-Big: " + strings.Repeat("a", 2<<20) + "\r\n"
	dots := "Authorization: Bearer " + strings.Repeat(".", 512<<10) + "\r\n"
	someDots := "Authorization: Bearer " + strings.Repeat(".", 60<<10) + "\r\n"
	for _, e := range entries {
		base := send(e, "")
		if base >= 500 {
			t.Errorf("%s %s: baseline status %d", e.method, e.path, base)
		}
		if got := send(e, many.String()); got != base && got != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s %s with 2,000 extra headers: %d; want %d (as without them) or 431", e.method, e.path, got, base)
		}
		for name, extra := range map[string]string{"2 MiB of headers": huge, "a Bearer token of 512 KiB of dots": dots} {
			if got := send(e, extra); got != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("%s %s with %s: %d; want 431", e.method, e.path, name, got)
			}
		}
		if got := send(e, someDots); got >= 500 {
			t.Errorf("%s %s with a Bearer token of 60 KiB of dots: %d", e.method, e.path, got)
		}
	}
	r := doHTTP(t, node, httpCall{method: http.MethodGet, path: "/account/me", header: map[string]string{"Authorization": "Bearer " + strings.Repeat(".", 60<<10)}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.errMessage(), "limit") {
		t.Fatalf("60 KiB of dots as the Bearer token: %d %s; want 401 naming the size limit", r.status, r.body)
	}
	c := dialP(t, node.WSURL)
	c.connect(node.Token("after-c05"))
	if r := postJSON(t, node, "/account/guest", map[string]string{"name": "after"}); r.status != http.StatusCreated {
		t.Fatalf("normal account call after the abuse: %d %s", r.status, r.body)
	}
}
