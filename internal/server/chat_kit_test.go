package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// chatUser connects user (with token roles, may be nil) over JSON.
func chatUser(t *testing.T, node *testkit.Node, user string, roles wire.Roles, channels ...string) *centrifuge.Client {
	t.Helper()
	tok := node.Mint(auth.MintClaims{User: user, Name: user, TTL: time.Hour, Roles: roles, Channels: channels})
	return connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: tok})
}

var modRoles = wire.Roles{"chat:*": {wire.RoleModerator}}

// rpc calls a chat method and decodes the result into out (may be nil).
// A refusal comes back as *centrifuge.Error.
func rpc(c *centrifuge.Client, method string, req any, out any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.RPC(ctx, method, data)
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(res.Data, out)
	}
	return nil
}

func mustRPC(t *testing.T, c *centrifuge.Client, method string, req any, out any) {
	t.Helper()
	if err := rpc(c, method, req, out); err != nil {
		t.Fatalf("%s %+v: %v", method, req, err)
	}
}

// wantCode requires err to be a server error with code.
func wantCode(t *testing.T, err error, code uint32, what string) *centrifuge.Error {
	t.Helper()
	var e *centrifuge.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: got %v; want error %d", what, err, code)
	}
	return e
}

// events decodes the chat events a recorder holds.
func events(r *recorder) []wire.ChatEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]wire.ChatEvent, 0, len(r.pubs))
	for _, p := range r.pubs {
		var ev wire.ChatEvent
		if json.Unmarshal(p.Data, &ev) == nil {
			out = append(out, ev)
		}
	}
	return out
}

func hasEvent(r *recorder, match func(wire.ChatEvent) bool) bool {
	for _, ev := range events(r) {
		if match(ev) {
			return true
		}
	}
	return false
}

// notices decodes the chat notices a personal-channel recorder holds.
func notices(r *recorder) []wire.ChatNotice {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wire.ChatNotice
	for _, p := range r.pubs {
		var n wire.ChatNotice
		if json.Unmarshal(p.Data, &n) == nil && n.Type == wire.NoticeType {
			out = append(out, n)
		}
	}
	return out
}

// unsubWatch records server-side unsubscribes of a subscription.
type unsubWatch struct {
	mu     sync.Mutex
	events []centrifuge.UnsubscribedEvent
}

func watchUnsub(s *centrifuge.Subscription) *unsubWatch {
	w := &unsubWatch{}
	s.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) {
		w.mu.Lock()
		w.events = append(w.events, e)
		w.mu.Unlock()
	})
	return w
}

func (w *unsubWatch) last() (centrifuge.UnsubscribedEvent, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.events) == 0 {
		return centrifuge.UnsubscribedEvent{}, false
	}
	return w.events[len(w.events)-1], true
}

// chatAPI calls a chat server API method; it returns the HTTP status and
// the error body, if any.
func chatAPI(t *testing.T, node *testkit.Node, method string, body any, out any) (int, *wire.Error) {
	t.Helper()
	var raw json.RawMessage
	status := node.API(method, body, &raw)
	if status != http.StatusOK {
		var e struct {
			Error *wire.Error `json:"error"`
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.Error == nil {
			t.Fatalf("%s: status %d with body %s", method, status, raw)
		}
		return status, e.Error
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: decode %s: %v", method, raw, err)
		}
	}
	return status, nil
}

// consistently requires cond to hold every 20 ms for d: a negative
// (something must not happen) checked for a while, not a sleep that a
// positive waits on.
func consistently(t *testing.T, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !cond() {
			t.Fatalf(format, args...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// presentIn reports whether user has a connection in channel's presence.
func presentIn(t *testing.T, node *testkit.Node, channel, user string) bool {
	t.Helper()
	var out struct {
		Presence map[string]struct {
			User string `json:"user"`
		} `json:"presence"`
	}
	if status := node.API("presence", map[string]any{"channel": channel}, &out); status != http.StatusOK {
		t.Fatalf("presence of %s: %d", channel, status)
	}
	for _, p := range out.Presence {
		if p.User == user {
			return true
		}
	}
	return false
}
