package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/liveroom-dev/liveroom/internal/testkit"
	"github.com/liveroom-dev/liveroom/wire"
)

// retryAfter calls a server API method and returns the status, the error
// code and the Retry-After header ("" when absent).
func retryAfter(t *testing.T, node *testkit.Node, method string, body any) (int, uint32, string) {
	t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, node.BaseURL+"/api/"+method, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", node.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error *wire.Error `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	var code uint32
	if e.Error != nil {
		code = e.Error.Code
	}
	return resp.StatusCode, code, resp.Header.Get("Retry-After")
}

// A temporary chat refusal through the server API carries the real wait
// in Retry-After (whole seconds, rounded up), the one its message names:
// the rate window, slow mode, and a timeout's remaining time.
func TestChatRetryAfterIsTheWait(t *testing.T) {
	node := testkit.Start(t, nil)
	const room = "waits"
	between := func(what, got string, lo, hi int) {
		t.Helper()
		n, err := strconv.Atoi(got)
		if err != nil || n < lo || n > hi {
			t.Fatalf("%s: Retry-After %q; want %d to %d seconds", what, got, lo, hi)
		}
	}
	send := func(as, text string) (int, uint32, string) {
		return retryAfter(t, node, "chat_send", map[string]any{"room": room, "as": as, "text": text})
	}

	for i := 0; i < 20; i++ {
		if status, _, _ := send("ada", "message "+strconv.Itoa(i)); status != http.StatusOK {
			t.Fatalf("message %d: %d", i, status)
		}
	}
	status, code, ra := send("ada", "one too many")
	if status != http.StatusTooManyRequests || code != wire.CodeChatRateLimited {
		t.Fatalf("21st message in 30 s: %d / %d; want 429 / %d", status, code, wire.CodeChatRateLimited)
	}
	between("rate window", ra, 25, 30)

	if status, _, _ := retryAfter(t, node, "chat_settings", map[string]any{"room": room, "set": map[string]any{"slow_mode": 10}}); status != http.StatusOK {
		t.Fatalf("slow mode on: %d", status)
	}
	if status, _, _ := send("bob", "first"); status != http.StatusOK {
		t.Fatalf("bob's first message: %d", status)
	}
	status, code, ra = send("bob", "second")
	if status != http.StatusTooManyRequests || code != wire.CodeChatSlowMode {
		t.Fatalf("a message during slow mode: %d / %d; want 429 / %d", status, code, wire.CodeChatSlowMode)
	}
	between("slow mode", ra, 9, 10)

	if status, _, _ := retryAfter(t, node, "chat_moderate", map[string]any{"room": room, "action": "timeout", "user": "cy", "seconds": 600}); status != http.StatusOK {
		t.Fatalf("timeout: %d", status)
	}
	status, code, ra = send("cy", "hello")
	if status != http.StatusForbidden || code != wire.CodeChatTimedOut {
		t.Fatalf("a timed-out user's message: %d / %d; want 403 / %d", status, code, wire.CodeChatTimedOut)
	}
	between("timeout", ra, 595, 600)
}
