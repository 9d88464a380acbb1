package server_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

var protos = []struct {
	name string
	t    protocol.Type
}{{"json", protocol.TypeJSON}, {"protobuf", protocol.TypeProtobuf}}

func wantError(t *testing.T, rep *protocol.Reply, code uint32, contains string) {
	t.Helper()
	if rep.Error == nil {
		t.Fatalf("reply %+v; want error %d", rep, code)
	}
	if rep.Error.Code != code || !strings.Contains(rep.Error.Message, contains) {
		t.Fatalf("error %d %q; want %d containing %q", rep.Error.Code, rep.Error.Message, code, contains)
	}
}

func sub(ch string) *protocol.Command {
	return &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}
}

// Every command and its error paths, with both codecs.
func TestProtocolCommandsAndErrors(t *testing.T) {
	for _, p := range protos {
		t.Run(p.name, func(t *testing.T) {
			node := testkit.Start(t, func(c *config.Config) {
				c.Client.MaxSubscriptions = 5
				c.Namespaces = append(c.Namespaces, config.NamespaceConfig{Name: "small", HistorySize: 10, Recovery: true,
					Subscribe: config.SubscribeAuthenticated, Publish: config.PublishSubscriber, MaxPublicationBytes: 100})
			})
			c := testkit.DialRaw(t, node.WSURL, p.t)
			res := c.Connect(node.Token("ann"))
			if res.Client == "" || !res.Pong || res.Ping != 25 || abs(res.Time-time.Now().UnixMilli()) > 5000 || !res.Expires || res.Ttl == 0 {
				t.Fatalf("connect result %+v; want client id, pings with pongs every 25 s, server time, expiry", res)
			}

			// Channel names are validated, never rewritten: 107; unknown namespace: 102.
			for _, bad := range []string{"", "room: x", "room:a\x00", "room:\u200bx", "TENANT-B:orders", "room:", strings.Repeat("a", 256), "room:e\u0301", "room:a\ufffdb"} {
				wantError(t, c.Call(sub(bad)), 107, "channel")
			}
			wantError(t, c.Call(sub("nope:x")), 102, "unknown channel namespace")
			wantError(t, c.Call(sub("personal:bob")), 103, "another user")
			wantError(t, c.Call(sub("lobby")), 103, "subscription token")

			// Subscribe, already subscribed, unsubscribe, resubscribe.
			rep := c.Call(sub("room:p"))
			if rep.Error != nil || rep.Subscribe == nil || rep.Subscribe.Epoch == "" || !rep.Subscribe.Recoverable {
				t.Fatalf("subscribe: %+v", rep)
			}
			wantError(t, c.Call(sub("room:p")), 105, "already subscribed")
			if rep := c.Call(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: "room:p"}}); rep.Error != nil || rep.Unsubscribe == nil {
				t.Fatalf("unsubscribe: %+v", rep)
			}
			if rep := c.Call(sub("room:p")); rep.Error != nil {
				t.Fatalf("resubscribe: %+v", rep.Error)
			}
			if rep := c.Call(sub("personal:ann")); rep.Error != nil {
				t.Fatalf("own personal channel: %+v", rep.Error)
			}

			// Subscription tokens for the token-only default namespace.
			good := node.Mint(auth.MintClaims{User: "ann", Channel: "lobby", TTL: time.Hour})
			other := node.Mint(auth.MintClaims{User: "ann", Channel: "lobby2", TTL: time.Hour})
			wantError(t, c.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "lobby", Token: other}}), 103, "token refused")
			if rep := c.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "lobby", Token: good}}); rep.Error != nil {
				t.Fatalf("token subscribe: %+v", rep.Error)
			}

			// Subscription limit (5).
			c.Call(sub("room:q"))
			c.Call(sub("small:a"))
			wantError(t, c.Call(sub("room:r")), 106, "subscriptions")

			// Publish rules and data checks.
			pub := func(ch, data string) *protocol.Reply {
				return c.Call(&protocol.Command{Publish: &protocol.PublishRequest{Channel: ch, Data: []byte(data)}})
			}
			if rep := pub("room:p", `{"text":"hi"}`); rep.Error != nil || rep.Publish == nil {
				t.Fatalf("publish: %+v", rep)
			}
			wantError(t, pub("personal:ann", `1`), 103, "cannot publish")
			wantError(t, pub("small:b", `1`), 103, "subscribe to")
			wantError(t, pub("small:a", `"`+strings.Repeat("x", 200)+`"`), 106, "limit is 100")
			if p.t == protocol.TypeProtobuf {
				wantError(t, pub("small:a", "\x00binary"), 107, "not valid JSON")
				wantError(t, pub("room:p", strings.Repeat("[", 65)+strings.Repeat("]", 65)), 107, "nests")
			}

			// History: reverse, since, epoch mismatch; off where no history.
			for i := 0; i < 3; i++ {
				pub("small:a", `{"i":1}`)
			}
			hist := func(h *protocol.HistoryRequest) *protocol.Reply { return c.Call(&protocol.Command{History: h}) }
			rep = hist(&protocol.HistoryRequest{Channel: "small:a", Limit: 2, Reverse: true})
			if rep.Error != nil || len(rep.History.Publications) != 2 || rep.History.Publications[0].Offset != 3 || rep.History.Offset != 3 {
				t.Fatalf("reverse history: %+v", rep)
			}
			epoch := rep.History.Epoch
			rep = hist(&protocol.HistoryRequest{Channel: "small:a", Limit: -1, Since: &protocol.StreamPosition{Offset: 1, Epoch: epoch}})
			if rep.Error != nil || len(rep.History.Publications) != 2 || rep.History.Publications[0].Offset != 2 {
				t.Fatalf("history since 1: %+v", rep)
			}
			wantError(t, hist(&protocol.HistoryRequest{Channel: "small:a", Limit: 1, Since: &protocol.StreamPosition{Offset: 1, Epoch: "other"}}), 112, "epoch")
			// Since the newest: nothing after it. Since an offset the channel
			// never gave (one past the newest, past 2^53, the largest uint64):
			// 112 saying so, not an empty page or "no longer kept".
			if rep = hist(&protocol.HistoryRequest{Channel: "small:a", Limit: -1, Since: &protocol.StreamPosition{Offset: 3, Epoch: epoch}}); rep.Error != nil || len(rep.History.Publications) != 0 {
				t.Fatalf("history since the newest: %+v", rep)
			}
			for _, ahead := range []uint64{4, 1<<53 + 1, math.MaxUint64} {
				wantError(t, hist(&protocol.HistoryRequest{Channel: "small:a", Limit: -1, Since: &protocol.StreamPosition{Offset: ahead, Epoch: epoch}}), 112, "ahead of the channel's newest, 3")
			}
			wantError(t, hist(&protocol.HistoryRequest{Channel: "reactions:x", Limit: 1}), 108, "no history")
			wantError(t, hist(&protocol.HistoryRequest{Channel: "lobby2", Limit: 1}), 103, "subscribe to")
			wantError(t, c.Call(&protocol.Command{Presence: &protocol.PresenceRequest{Channel: "reactions:x"}}), 108, "presence is off")
			wantError(t, c.Call(&protocol.Command{PresenceStats: &protocol.PresenceStatsRequest{Channel: "personal:bob"}}), 103, "another user")

			// RPC.
			if rep := c.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"}}); rep.Error != nil || !strings.Contains(string(rep.Rpc.Data), `"time":`) {
				t.Fatalf("time: %+v", rep)
			}
			wantError(t, c.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "nope"}}), 104, "unknown RPC method")

			// Several commands in one frame get all their replies.
			cmds := []*protocol.Command{
				{Rpc: &protocol.RPCRequest{Method: "time"}},
				{PresenceStats: &protocol.PresenceStatsRequest{Channel: "room:p"}},
				{History: &protocol.HistoryRequest{Channel: "room:p", Limit: 1}},
			}
			c.Send(cmds...)
			for _, cmd := range cmds {
				if rep := c.Reply(cmd.Id); rep.Error != nil {
					t.Fatalf("batched command %d: %+v", cmd.Id, rep.Error)
				}
			}

			// A command with an id and no request: 107; with two requests: 107.
			wantError(t, c.Call(&protocol.Command{Id: 9999}), 107, "no request")
			wantError(t, c.Call(&protocol.Command{Rpc: &protocol.RPCRequest{Method: "time"},
				PresenceStats: &protocol.PresenceStatsRequest{Channel: "room:p"}}), 107, "one request per command")

			// Refresh with a token of the same user; another user's closes.
			if rep := c.Call(&protocol.Command{Refresh: &protocol.RefreshRequest{Token: node.Token("ann")}}); rep.Error != nil || !rep.Refresh.Expires {
				t.Fatalf("refresh: %+v", rep)
			}
			c.Send(&protocol.Command{Refresh: &protocol.RefreshRequest{Token: node.Token("mallory")}})
			if code, _ := c.Closed(5 * time.Second); code != 3500 {
				t.Fatalf("refresh as another user closed with %d; want 3500", code)
			}
		})
	}
}

func TestConnectRefusals(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.ConnectTimeout = config.Duration(300 * time.Millisecond)
	})
	for _, p := range protos {
		t.Run(p.name, func(t *testing.T) {
			closedWith := func(code int, cmds ...*protocol.Command) {
				t.Helper()
				c := testkit.DialRaw(t, node.WSURL, p.t)
				if len(cmds) > 0 {
					c.Send(cmds...)
				}
				if got, reason := c.Closed(5 * time.Second); got != code {
					t.Fatalf("closed with %d (%s); want %d", got, reason, code)
				}
			}
			closedWith(3500, &protocol.Command{Connect: &protocol.ConnectRequest{}})
			closedWith(3500, &protocol.Command{Connect: &protocol.ConnectRequest{Token: "not.a.token"}})
			closedWith(3501, sub("room:x"))
			closedWith(3502) // nothing sent within connect_timeout
			// A token whose channel list names an invalid channel is refused.
			bad := node.Mint(auth.MintClaims{User: "x", TTL: time.Hour, Channels: []string{"room:ok", "bad name"}})
			closedWith(3500, &protocol.Command{Connect: &protocol.ConnectRequest{Token: bad}})

			expired := node.Mint(auth.MintClaims{User: "old", TTL: time.Second, IssuedAt: time.Now().Add(-time.Hour)})
			c := testkit.DialRaw(t, node.WSURL, p.t)
			wantError(t, c.Call(&protocol.Command{Connect: &protocol.ConnectRequest{Token: expired}}), 109, "expired")
			c.Connect(node.Token("fresh")) // a new token on the same connection works

			// A connection refused with 109 that sends no new connect is
			// closed like one that sent none: it holds a socket and is not
			// pinged.
			silent := testkit.DialRaw(t, node.WSURL, p.t)
			wantError(t, silent.Call(&protocol.Command{Connect: &protocol.ConnectRequest{Token: expired}}), 109, "expired")
			if got, reason := silent.Closed(5 * time.Second); got != 3502 || !strings.Contains(reason, "refused") {
				t.Fatalf("silent after 109: closed with %d (%s); want 3502 naming the refused connect", got, reason)
			}

			// Expired connects one after another do not keep it open: the
			// timeout runs from the first refusal.
			again := testkit.DialRaw(t, node.WSURL, p.t)
			mt := websocket.TextMessage
			if p.t == protocol.TypeProtobuf {
				mt = websocket.BinaryMessage
			}
			first := time.Now()
			for {
				// A new expired connect every 50 ms, far more often than
				// the 300 ms connect timeout.
				_ = again.WS.WriteMessage(mt, again.Encode(&protocol.Command{Connect: &protocol.ConnectRequest{Token: expired}}))
				_ = again.WS.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				_, _, err := again.WS.ReadMessage()
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					if ce.Code != 3502 {
						t.Fatalf("repeated expired connects: closed with %d; want 3502", ce.Code)
					}
					break
				}
				if time.Since(first) > 5*time.Second {
					t.Fatal("repeated expired connects kept the connection open for 5 s; the connect timeout is 300 ms")
				}
			}
		})
	}
}

func TestPingPongAndExpiry(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(200 * time.Millisecond)
		c.Client.PongTimeout = config.Duration(150 * time.Millisecond)
		c.Auth.ExpiryGrace = config.Duration(100 * time.Millisecond)
	})
	for _, p := range protos {
		t.Run(p.name, func(t *testing.T) {
			// A client that never answers pings is closed with 3012.
			c := testkit.DialRaw(t, node.WSURL, p.t)
			c.Connect(node.Token("silent"))
			if code, _ := c.Closed(5 * time.Second); code != 3012 {
				t.Fatalf("closed with %d; want 3012 (no pong)", code)
			}
			// A token that expires without refresh: 3005 after the grace.
			c = testkit.DialRaw(t, node.WSURL, p.t)
			c.Connect(node.Mint(auth.MintClaims{User: "brief", TTL: time.Second}))
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				// Answer pings (empty replies) with pongs (empty commands).
				_ = c.WS.SetReadDeadline(time.Now().Add(time.Second))
				_, data, err := c.WS.ReadMessage()
				if err != nil {
					break
				}
				if len(strings.TrimSpace(string(data))) <= 2 {
					c.SendBytes(c.Encode(&protocol.Command{}))
				}
			}
			if code, _ := c.Closed(time.Second); code != 3005 {
				t.Fatalf("closed with %d; want 3005 (token expired)", code)
			}
		})
	}
}
