package server_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/wire"
)

// A 1,000-attempt sign-in burst from one address over HTTP: the default
// limit (10 a minute) lets 10 reach the password hash, the other 990 are
// answered 429 with Retry-After before any hashing. Memory therefore stays
// bounded; the peak is measured by BenchmarkSignInBurst (internal/auth/
// account) and reported in docs/benchmarks.md.
func TestSignInBurstIsRateLimited(t *testing.T) {
	node := startAccounts(t, func(c *config.Config) {
		c.Accounts.AddressAttemptsPerMinute = 10
		c.Accounts.EmailAttemptsPerHour = 1000
	})
	acctSignUp(t, node, "target@example.com", "Target") // spends one attempt of the address's ten
	before := node.Server.Accounts().Stats()
	start := time.Now()
	statuses := make(map[int]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // at most 64 requests in flight from this test
	retryAfterOK := true
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body := []byte(`{"email":"target@example.com","password":"guess-` + strconv.Itoa(i) + `"}`)
			req, _ := http.NewRequest(http.MethodPost, node.BaseURL+"/account/signin", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests {
				if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
					retryAfterOK = false
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Nine attempts are left after the sign-up; the limit refills one
	// attempt every 6 s, which a slow run may see once or twice.
	refilled := int(time.Since(start) / (6 * time.Second))
	checked, limited := statuses[http.StatusUnauthorized], statuses[http.StatusTooManyRequests]
	if checked < 9 || checked > 9+refilled || checked+limited != 1000 || !retryAfterOK {
		t.Fatalf("statuses %v (Retry-After ok: %v); want 9 (+%d refilled) checked (401), the rest refused with 429 and Retry-After",
			statuses, retryAfterOK, refilled)
	}
	after := node.Server.Accounts().Stats()
	if ran := after.HashesRun - before.HashesRun; ran != int64(checked) {
		t.Fatalf("%d password hashes for %d checked attempts: limits must run before hashing", ran, checked)
	}
	if after.HashPeak > int64(node.Config.Accounts.HashConcurrency) {
		t.Fatalf("%d hashes at once; the limit is %d", after.HashPeak, node.Config.Accounts.HashConcurrency)
	}
}

// Every HTTP entry point has a body limit and the server's header
// timeout: an oversized body is refused (413 where the endpoint reads
// JSON), a client that trickles its headers is dropped.
func TestEveryEntryPointHasLimitsAndTimeouts(t *testing.T) {
	node := startAccounts(t, func(c *config.Config) { c.Client.HandshakeTimeout = config.Duration(300 * time.Millisecond) })
	for _, tc := range []struct {
		path   string
		size   int
		header map[string]string
		status int
	}{
		{"/account/signin", 16<<10 + 1, nil, http.StatusRequestEntityTooLarge},
		{"/account/signup", 16<<10 + 1, nil, http.StatusRequestEntityTooLarge},
		{"/account/refresh", 16<<10 + 1, nil, http.StatusRequestEntityTooLarge},
		{"/api/publish", 1<<20 + 1, map[string]string{"X-API-Key": node.APIKey}, http.StatusRequestEntityTooLarge},
		{"/demo/token", 4<<10 + 1, nil, http.StatusRequestEntityTooLarge},
	} {
		body := append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), tc.size)...)
		r := doHTTP(t, node, httpCall{method: http.MethodPost, path: tc.path, raw: body, header: tc.header})
		if r.status != tc.status {
			t.Errorf("POST %s with %d bytes: %d %s; want %d", tc.path, len(body), r.status, r.body, tc.status)
		}
		if tc.status == http.StatusRequestEntityTooLarge && r.errCode() != wire.CodeLimitExceeded {
			t.Errorf("POST %s too large: code %d; want %d", tc.path, r.errCode(), wire.CodeLimitExceeded)
		}
	}
	for _, path := range []string{"/", "/account/me", "/connection/websocket", "/api/info"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(node.BaseURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(testTimeout))
		start := time.Now()
		n, err := conn.Read(make([]byte, 512))
		conn.Close()
		if err == nil && n > 0 {
			continue // answered (408) and closed: also a bounded wait
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("GET %s with headers never finished: still open after %v", path, time.Since(start))
		}
	}
}
