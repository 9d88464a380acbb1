package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	centrifugego "github.com/centrifugal/centrifuge-go"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testSecret = "test-secret-test-secret-test-secret-0123"
	testAPIKey = "test-api-key-0123456789"
)

// lineWriter captures stdout and hands over the "listening on" URL.
type lineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	url chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if u, ok := strings.CutPrefix(w.buf.String(), "listening on "); ok && strings.HasSuffix(u, "\n") {
		select {
		case w.url <- strings.TrimSpace(u):
		default:
		}
	}
	return len(p), nil
}

// startPeer runs the whole command on a free loopback port until the test
// ends and returns its base URL.
func startPeer(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{url: make(chan string, 1)}
	done := make(chan int, 1)
	args := []string{"--addr", "127.0.0.1:0", "--token-secret", testSecret, "--api-key", testAPIKey}
	go func() { done <- run(ctx, args, func(string) string { return "" }, out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("peer exited with %d", code)
		}
	})
	select {
	case u := <-out.url:
		return u
	case code := <-done:
		t.Fatalf("peer exited with %d before listening", code)
	case <-time.After(10 * time.Second):
		t.Fatal("peer did not print its listening line")
	}
	return ""
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// apiCall posts body to /api/method and decodes the answer into out.
func apiCall(t *testing.T, base, key, method, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/"+method, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("api %s answer %q: %v", method, data, err)
		}
	}
	return resp.StatusCode
}

type publishResult struct {
	Offset uint64 `json:"offset"`
	Epoch  string `json:"epoch"`
}

func apiPublish(t *testing.T, base, channel, data string) publishResult {
	t.Helper()
	var res publishResult
	body := fmt.Sprintf(`{"channel":%q,"data":%s}`, channel, data)
	if code := apiCall(t, base, testAPIKey, "publish", body, &res); code != http.StatusOK {
		t.Fatalf("publish %s: status %d", body, code)
	}
	return res
}

// newClient returns a connected centrifuge-go client for user, JSON or
// Protobuf; it is closed when the test ends.
func newClient(t *testing.T, base, user string, protobuf bool) *centrifugego.Client {
	t.Helper()
	return newClientWith(t, base, user, protobuf, nil, nil)
}

// newClientWith is newClient with a token channel list and a setup function
// that installs event handlers before the client connects.
func newClientWith(t *testing.T, base, user string, protobuf bool, channels []string, setup func(*centrifugego.Client)) *centrifugego.Client {
	t.Helper()
	tok, err := mint(testSecret, user, time.Hour, channels)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "ws" + strings.TrimPrefix(base, "http") + "/connection/websocket"
	cfg := centrifugego.Config{Token: tok, MinReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond}
	var c *centrifugego.Client
	if protobuf {
		c = centrifugego.NewProtobufClient(endpoint, cfg)
	} else {
		c = centrifugego.NewJsonClient(endpoint, cfg)
	}
	t.Cleanup(c.Close)
	if setup != nil {
		setup(c)
	}
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	return c
}

// mint signs a connection token; for the tests.
func mint(secret, user string, ttl time.Duration, channels []string) (string, error) {
	now := time.Now().Truncate(time.Second)
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   user,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Channels: channels,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return s, nil
}
