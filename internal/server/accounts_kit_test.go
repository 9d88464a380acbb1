package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// Helpers for the account tests: a node with accounts on and cheap
// password hashing, and an HTTP caller of the account endpoints.

func startAccounts(t *testing.T, mutate func(*config.Config)) *testkit.Node {
	t.Helper()
	return testkit.Start(t, func(c *config.Config) {
		on := true
		c.Accounts.Enabled = &on
		c.Accounts.HashMemory = 64 * config.KiB
		c.Accounts.HashIterations = 1
		c.Accounts.AddressAttemptsPerMinute = 1000
		c.Accounts.EmailAttemptsPerHour = 1000
		if mutate != nil {
			mutate(c)
		}
	})
}

// grantResp is the answer of sign-up, sign-in, guest and refresh.
type grantResp struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
		Role  string `json:"role"`
		Guest bool   `json:"guest"`
	} `json:"user"`
	Session      string `json:"session"`
	Token        string `json:"token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

type errResp struct {
	Error wire.Error `json:"error"`
}

// call is one request to the node.
type httpCall struct {
	method, path string
	body         any               // JSON-encoded when not nil
	raw          []byte            // sent as is when body is nil
	header       map[string]string // extra headers
	bearer       string
	cookie       string // value of the session cookie
}

// result is an answer: status, headers and body.
type httpResult struct {
	status int
	header http.Header
	body   []byte
}

func (r httpResult) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// errCode is the wire code of an error answer (0 when none).
func (r httpResult) errCode() uint32 {
	var e errResp
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r httpResult) errMessage() string {
	var e errResp
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Message
}

// cookie returns the session cookie the answer sets, if any.
func (r httpResult) cookie() *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "__Host-lr_refresh" {
			return c
		}
	}
	return nil
}

func doHTTP(t testing.TB, node *testkit.Node, c httpCall) httpResult {
	t.Helper()
	var rd io.Reader
	if c.body != nil {
		data, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	} else if c.raw != nil {
		rd = bytes.NewReader(c.raw)
	}
	req, err := http.NewRequest(c.method, node.BaseURL+c.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if c.method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", "__Host-lr_refresh="+c.cookie)
	}
	req.Header.Set("User-Agent", "liveroom-test/1.0 (X11; Linux x86_64)")
	for k, v := range c.header {
		if k == "Host" {
			req.Host = v
			continue
		}
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return httpResult{status: resp.StatusCode, header: resp.Header, body: body}
}

// post sends a JSON POST as a native client (no Origin).
func postJSON(t testing.TB, node *testkit.Node, path string, body any) httpResult {
	return doHTTP(t, node, httpCall{method: http.MethodPost, path: path, body: body})
}

// signUp creates an account as a native client and returns its grant.
func acctSignUp(t testing.TB, node *testkit.Node, email, name string) grantResp {
	t.Helper()
	r := postJSON(t, node, "/account/signup", map[string]string{"email": email, "password": "correct horse battery", "name": name, "device_name": name + "'s laptop"})
	if r.status != http.StatusCreated {
		t.Fatalf("sign-up: %d %s", r.status, r.body)
	}
	var g grantResp
	r.decode(t, &g)
	return g
}

// signIn signs in as a native client naming its device.
func acctSignIn(t testing.TB, node *testkit.Node, email, device string) grantResp {
	t.Helper()
	r := postJSON(t, node, "/account/signin", map[string]string{"email": email, "password": "correct horse battery", "device_name": device})
	if r.status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	var g grantResp
	r.decode(t, &g)
	return g
}

// wantError fails unless r is an error with status and code (and a
// message containing msg).
func wantRefusal(t testing.TB, what string, r httpResult, status int, code uint32, msg string) {
	t.Helper()
	if r.status != status || r.errCode() != code || !strings.Contains(r.errMessage(), msg) {
		t.Fatalf("%s: %d %s; want %d with code %d and a message containing %q", what, r.status, r.body, status, code, msg)
	}
}
