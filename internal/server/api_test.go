package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

type apiError struct {
	Error *struct {
		Code      uint32 `json:"code"`
		Message   string `json:"message"`
		Temporary bool   `json:"temporary"`
	} `json:"error"`
}

func TestServerAPIStatusesAndErrors(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		for i := range c.Namespaces {
			if c.Namespaces[i].Name == "room" {
				c.Namespaces[i].MaxPublicationBytes = 64
			}
		}
	})
	raw := func(method, path, key, body string) (int, apiError) {
		t.Helper()
		req, _ := http.NewRequest(method, node.BaseURL+path, bytes.NewBufferString(body))
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e apiError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}
	cases := []struct {
		name, method, path, key, body string
		status                        int
		code                          uint32
	}{
		{"no key", "POST", "/api/publish", "", `{"channel":"room:a","data":1}`, 401, 101},
		{"wrong key", "POST", "/api/publish", "nope", `{"channel":"room:a","data":1}`, 401, 101},
		{"bearer is not a key", "POST", "/api/publish", "Bearer x", `{"channel":"room:a","data":1}`, 401, 101},
		{"GET", "GET", "/api/publish", node.APIKey, ``, 405, 107},
		{"unknown method", "POST", "/api/nope", node.APIKey, `{}`, 404, 104},
		{"bad JSON", "POST", "/api/publish", node.APIKey, `{`, 400, 107},
		{"unknown field", "POST", "/api/publish", node.APIKey, `{"channel":"room:a","data":1,"chanel":"x"}`, 400, 107},
		{"invalid channel", "POST", "/api/publish", node.APIKey, `{"channel":"room: a","data":1}`, 400, 107},
		{"unknown namespace", "POST", "/api/publish", node.APIKey, `{"channel":"zzz:a","data":1}`, 404, 102},
		{"no data", "POST", "/api/publish", node.APIKey, `{"channel":"room:a"}`, 400, 107},
		{"too large", "POST", "/api/publish", node.APIKey, `{"channel":"room:a","data":"` + string(bytes.Repeat([]byte("x"), 100)) + `"}`, 413, 106},
		{"body over 1 MiB", "POST", "/api/publish", node.APIKey, `{"channel":"room:a","data":"` + string(bytes.Repeat([]byte("x"), 1<<20)) + `"}`, 413, 106},
		{"history off", "POST", "/api/history", node.APIKey, `{"channel":"reactions:a","limit":1}`, 400, 108},
		{"wrong epoch", "POST", "/api/history", node.APIKey, `{"channel":"room:a","limit":1,"since":{"offset":0,"epoch":"x"}}`, 409, 112},
		{"disconnect bad code", "POST", "/api/disconnect", node.APIKey, `{"user":"u","code":1000}`, 400, 107},
		{"subscribe without user", "POST", "/api/subscribe", node.APIKey, `{"channel":"room:a"}`, 400, 107},
	}
	for _, tc := range cases {
		status, e := raw(tc.method, tc.path, tc.key, tc.body)
		if status != tc.status || e.Error == nil || e.Error.Code != tc.code || e.Error.Message == "" {
			t.Errorf("%s: status %d error %+v; want %d with code %d and a message", tc.name, status, e.Error, tc.status, tc.code)
		}
	}
	// No channel at all (an empty body reads as {}) and a null one say what
	// is missing.
	for _, body := range []string{``, `{"channel":null,"data":1}`} {
		status, e := raw("POST", "/api/publish", node.APIKey, body)
		if status != 400 || e.Error == nil || !strings.Contains(e.Error.Message, "channel name is missing or empty") {
			t.Errorf("publish %q: status %d error %+v; want 400 saying the channel is missing", body, status, e.Error)
		}
	}
	// Nothing above was stored.
	var h struct{ Offset uint64 }
	node.API("history", map[string]any{"channel": "room:a", "limit": 0}, &h)
	if h.Offset != 0 {
		t.Fatalf("refused publishes stored something: top offset %d", h.Offset)
	}
}

func TestServerAPIPublishIdempotencyAndQueries(t *testing.T) {
	node := testkit.Start(t, nil)
	type outcome struct {
		Offset    uint64 `json:"offset"`
		Epoch     string `json:"epoch"`
		Duplicate bool   `json:"duplicate"`
	}
	var first, second, again outcome
	node.API("publish", map[string]any{"channel": "room:idem", "data": map[string]string{"a": "1"}, "idempotency_key": "order-17"}, &first)
	node.API("publish", map[string]any{"channel": "room:idem", "data": map[string]string{"b": "2"}}, &second)
	node.API("publish", map[string]any{"channel": "room:idem", "data": map[string]string{"a": "1"}, "idempotency_key": "order-17"}, &again)
	if first.Offset != 1 || second.Offset != 2 || again.Offset != 1 || !again.Duplicate || again.Epoch != first.Epoch {
		t.Fatalf("publish, publish, retry = %+v %+v %+v; want offsets 1, 2 and the retry answered with 1 (duplicate)", first, second, again)
	}
	// The same key on another channel of the namespace is another publication.
	var other outcome
	node.API("publish", map[string]any{"channel": "room:idem-2", "data": map[string]string{"a": "1"}, "idempotency_key": "order-17"}, &other)
	if other.Offset != 1 || other.Duplicate {
		t.Fatalf("same key, other channel = %+v; want a stored publication at offset 1", other)
	}
	var bad apiError
	if status := node.API("publish", map[string]any{"channel": "room:idem", "data": 1, "idempotency_key": "a\r\nb"}, &bad); status != 400 || bad.Error == nil || bad.Error.Code != 107 {
		t.Fatalf("key with control characters: status %d %+v; want 400/107", status, bad.Error)
	}
	var hist struct {
		Publications []struct {
			Offset uint64          `json:"offset"`
			Data   json.RawMessage `json:"data"`
		} `json:"publications"`
		Offset uint64 `json:"offset"`
	}
	node.API("history", map[string]any{"channel": "room:idem", "limit": -1}, &hist)
	if len(hist.Publications) != 2 || hist.Offset != 2 {
		t.Fatalf("history = %+v; want the 2 stored publications (the retry stored nothing)", hist)
	}

	var bc struct {
		Results []struct {
			Channel string                 `json:"channel"`
			Offset  uint64                 `json:"offset"`
			Error   *struct{ Code uint32 } `json:"error"`
		} `json:"results"`
	}
	node.API("broadcast", map[string]any{"channels": []string{"room:b1", "room:b2", "bad name"}, "data": 1}, &bc)
	if len(bc.Results) != 3 || bc.Results[0].Offset != 1 || bc.Results[1].Offset != 1 || bc.Results[2].Error == nil || bc.Results[2].Error.Code != 107 {
		t.Fatalf("broadcast = %+v", bc)
	}

	// A live client for presence, channels, and server-side control.
	c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("zoe")})
	subscribe(t, c, "room:q", centrifuge.SubscriptionConfig{})
	var pres struct {
		Presence map[string]struct{ User string } `json:"presence"`
		Total    int                              `json:"total"`
	}
	node.API("presence", map[string]any{"channel": "room:q"}, &pres)
	if pres.Total != 1 || len(pres.Presence) != 1 {
		t.Fatalf("presence = %+v; want zoe", pres)
	}
	var stats struct {
		NumClients int `json:"num_clients"`
		NumUsers   int `json:"num_users"`
	}
	node.API("presence_stats", map[string]any{"channel": "room:q"}, &stats)
	if stats.NumClients != 1 || stats.NumUsers != 1 {
		t.Fatalf("presence_stats = %+v", stats)
	}
	var chans struct {
		Channels []struct {
			Channel     string `json:"channel"`
			Subscribers int    `json:"subscribers"`
		} `json:"channels"`
	}
	node.API("channels", map[string]any{}, &chans)
	if len(chans.Channels) != 1 || chans.Channels[0].Channel != "room:q" || chans.Channels[0].Subscribers != 1 {
		t.Fatalf("channels = %+v", chans)
	}
	var info struct {
		Nodes []struct {
			ID      string `json:"id"`
			Clients int    `json:"clients"`
		} `json:"nodes"`
	}
	node.API("info", map[string]any{}, &info)
	if len(info.Nodes) != 1 || info.Nodes[0].Clients != 1 {
		t.Fatalf("info = %+v", info)
	}

	// Server-side subscribe and unsubscribe reach the connection.
	serverSubs := make(chan string, 2)
	c.OnSubscribed(func(e centrifuge.ServerSubscribedEvent) { serverSubs <- e.Channel })
	node.API("subscribe", map[string]any{"user": "zoe", "channel": "personal:zoe"}, nil)
	select {
	case ch := <-serverSubs:
		if ch != "personal:zoe" {
			t.Fatalf("server subscribed to %q", ch)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server-side subscribe did not reach the client")
	}
	unsubscribed := make(chan uint32, 1)
	s, _ := c.GetSubscription("room:q")
	s.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) { unsubscribed <- e.Code })
	node.API("unsubscribe", map[string]any{"user": "zoe", "channel": "room:q"}, nil)
	select {
	case code := <-unsubscribed:
		if code != 2000 {
			t.Fatalf("unsubscribed with %d; want 2000", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server-side unsubscribe did not reach the client")
	}

	// Disconnect through the API closes the connection with its code.
	r := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	r.Connect(node.Token("kicked"))
	node.API("disconnect", map[string]any{"user": "kicked", "code": 4501, "reason": "removed by a moderator"}, nil)
	if code, reason := r.Closed(5 * time.Second); code != 4501 || reason != "removed by a moderator" {
		t.Fatalf("closed with %d %q; want 4501 and the reason", code, reason)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	node := testkit.Start(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(node.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s = %d; want 200", path, resp.StatusCode)
		}
	}
}

// A full store refuses publications with a temporary error, and readiness
// says why; acknowledged publications stay readable.
func TestStorageFullIsTemporaryAndNotReady(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Engine.MaxStorageBytes = 512 * config.KiB
	})
	big := string(bytes.Repeat([]byte("x"), 16<<10))
	var stored uint64
	var full apiError
	for i := 0; i < 200; i++ {
		var out struct {
			Offset uint64 `json:"offset"`
			apiError
		}
		status := node.API("publish", map[string]any{"channel": "room:full", "data": big}, &out)
		if status == 200 {
			stored = out.Offset
			continue
		}
		if status != http.StatusServiceUnavailable || out.Error == nil || !out.Error.Temporary {
			t.Fatalf("publish %d: status %d %+v; want 503 with a temporary error", i, status, out.Error)
		}
		full = out.apiError
		break
	}
	if full.Error == nil || stored == 0 {
		t.Fatalf("the store never filled up (stored %d)", stored)
	}
	status, ready := readiness(t, node)
	if status != 503 || !strings.Contains(ready.Reason, "storage full") {
		t.Fatalf("readyz = %d %+v; want 503 with the storage reason", status, ready)
	}
	var h struct{ Offset uint64 }
	node.API("history", map[string]any{"channel": "room:full", "limit": 0}, &h)
	if h.Offset != stored {
		t.Fatalf("top offset %d; want %d (every acknowledged publication kept)", h.Offset, stored)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	node := testkit.Start(t, nil)
	r := testkit.DialRaw(t, node.WSURL, protocol.TypeJSON)
	r.Connect(node.Token("metered"))
	r.Call(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: "room:m"}})
	node.Publish("room:m", 1)
	// A command's duration is observed once it has run, which may be just
	// after its reply (and the delivery) reached the client: poll for all.
	wants := []string{
		"liveroom_deliveries_total 1", "liveroom_connections 1", `liveroom_command_duration_seconds_count{code="0",command="subscribe"} 1`,
		`liveroom_engine_publish_duration_seconds_count{outcome="stored"} 1`, "liveroom_subscriptions 1", "go_goroutines",
	}
	var missing []string
	testkit.Eventually(t, 5*time.Second, func() bool {
		resp, err := http.Get(node.BaseURL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(resp.Body)
		missing = missing[:0]
		for _, want := range wants {
			if !bytes.Contains(b.Bytes(), []byte(want)) {
				missing = append(missing, want)
			}
		}
		return len(missing) == 0
	}, "metrics show the connection, the subscribe, the stored publication and its delivery (missing: %q)", &missing)
}

// readyAnswer is the body of GET /readyz.
type readyAnswer struct{ Status, Reason string }

// readiness asks a node's /readyz.
func readiness(t *testing.T, node *testkit.Node) (int, readyAnswer) {
	t.Helper()
	resp, err := http.Get(node.BaseURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ready readyAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ready); err != nil {
		t.Fatalf("readyz body: %v", err)
	}
	return resp.StatusCode, ready
}
