// Package testkit starts real liveroom nodes for tests: an in-process
// server on 127.0.0.1:0 with its own data directory and embedded NATS, or
// the real binary as a child process. Tests drive them with real clients.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/auth"
	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/server"
)

// Node is a running in-process liveroom node.
type Node struct {
	t       testing.TB
	Server  *server.Server
	Config  *config.Config
	BaseURL string // http://127.0.0.1:PORT
	WSURL   string // ws://127.0.0.1:PORT/connection/websocket
	APIKey  string
	key     auth.Key
}

// Start starts a node with the default configuration, changed by mutate
// (may be nil), and stops it when the test ends.
func Start(t testing.TB, mutate func(*config.Config)) *Node {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.NodeName = "test"
	cfg.Shutdown.DrainWindow = config.Duration(50 * time.Millisecond)
	cfg.Client.AcceptRate = 0
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if os.Getenv("LIVEROOM_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := server.Start(ctx, cfg, log, io.Discard)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	creds, err := server.LoadCredentials(cfg)
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	addr := srv.Addr().String()
	n := &Node{t: t, Server: srv, Config: cfg, BaseURL: "http://" + addr,
		WSURL: "ws://" + addr + "/connection/websocket", APIKey: creds.APIKey, key: *creds.SigningKey}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return n
}

// testWriter sends server logs to the test log (shown on failure).
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Token mints a connection token for user (valid for an hour).
func (n *Node) Token(user string, channels ...string) string {
	n.t.Helper()
	tok, err := auth.Mint(n.key, auth.MintClaims{User: user, Name: user, TTL: time.Hour, Channels: channels})
	if err != nil {
		n.t.Fatalf("mint token: %v", err)
	}
	return tok
}

// Mint mints a token with the node's key.
func (n *Node) Mint(c auth.MintClaims) string {
	n.t.Helper()
	tok, err := auth.Mint(n.key, c)
	if err != nil {
		n.t.Fatalf("mint token: %v", err)
	}
	return tok
}

// API calls POST /api/<method> and decodes the JSON answer into out (may be
// nil). It returns the HTTP status.
func (n *Node) API(method string, body any, out any) int {
	n.t.Helper()
	status, err := CallAPI(n.BaseURL, n.APIKey, method, body, out)
	if err != nil {
		n.t.Fatalf("api %s: %v", method, err)
	}
	return status
}

// CallAPI is API without a testing.TB, for goroutines.
func CallAPI(baseURL, key, method string, body any, out any) (int, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/api/"+method, bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %q: %w", raw, err)
		}
	}
	return resp.StatusCode, nil
}

// Publish publishes data (any JSON-encodable value) through the API and
// returns the offset.
func (n *Node) Publish(channel string, data any) uint64 {
	n.t.Helper()
	var out struct {
		Offset uint64 `json:"offset"`
		Error  *struct {
			Code    uint32 `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	raw, _ := json.Marshal(data)
	if status := n.API("publish", map[string]any{"channel": channel, "data": json.RawMessage(raw)}, &out); status != http.StatusOK {
		n.t.Fatalf("publish to %s: status %d %+v", channel, status, out.Error)
	}
	return out.Offset
}

// Epoch returns a channel's current epoch.
func (n *Node) Epoch(channel string) string {
	n.t.Helper()
	var out struct {
		Epoch string `json:"epoch"`
	}
	n.API("history", map[string]any{"channel": channel, "limit": 0}, &out)
	return out.Epoch
}

// Eventually polls cond every 10 ms until it is true or d elapses, then
// fails the test with msg. It never sleeps longer than needed.
func Eventually(t testing.TB, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", d, fmt.Sprintf(format, args...))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
