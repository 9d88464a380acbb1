package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// A token listing more channels than client.max_subscriptions would be
// refused by every server with that limit: the command says so instead
// of minting it.
func TestTokenRefusesMoreChannelsThanTheLimit(t *testing.T) {
	chans := make([]string, 129)
	for i := range chans {
		chans[i] = fmt.Sprint("room:", i)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"token", "--user", "ann", "--channels", strings.Join(chans, ","), "--data-dir", t.TempDir()}, nil, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--channels lists 129 channels but client.max_subscriptions is 128") || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 2 naming both numbers and no token", code, stdout.String(), stderr.String())
	}
	// Within the limit the command goes on (and here stops for want of the
	// node's secrets, which this empty data directory does not hold).
	stderr.Reset()
	code = run(context.Background(), []string{"token", "--user", "ann", "--channels", strings.Join(chans[:128], ","), "--data-dir", t.TempDir()}, nil, &stdout, &stderr)
	if code == 0 || strings.Contains(stderr.String(), "max_subscriptions") {
		t.Fatalf("exit %d, stderr %q; want the limit check passed", code, stderr.String())
	}
}

// A LIVEROOM_ variable that sets nothing (a misspelt name, or a setting
// that only the config file holds) was ignored without a word; it is
// named in a warning, and the variables of flags (LIVEROOM_LOG_LEVEL
// included, which used to be one of the ignored) are applied.
func TestUnknownEnvironmentVariablesAreNamed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop as soon as started: only the start-up log matters
	environ := []string{"LIVEROOM_CLIENT_PING_INTERVAL=5s", "LIVEROOM_LOG_LEVEL=warn", "LIVEROOM_DATA_DIR=" + t.TempDir(), "HOME=/nowhere"}
	var stdout bytes.Buffer
	var stderr lockedBuffer // the NATS client's callbacks may log from their own goroutine
	run(ctx, []string{"--addr", "127.0.0.1:0"}, environ, &stdout, &stderr)
	log := stderr.String()
	if strings.Contains(log, "NATS connection closed") {
		t.Fatalf("log %q: a start given up (the context ended) reported the NATS connection lost", log)
	}
	if !strings.Contains(log, "environment variable ignored") || !strings.Contains(log, "variable=LIVEROOM_CLIENT_PING_INTERVAL") {
		t.Fatalf("log %q; want a warning naming LIVEROOM_CLIENT_PING_INTERVAL", log)
	}
	if strings.Contains(log, "variable=LIVEROOM_LOG_LEVEL") || strings.Contains(log, "variable=LIVEROOM_DATA_DIR") || strings.Contains(log, "level=INFO") {
		t.Fatalf("log %q; want the flags' variables applied (no info lines at log level warn) and not named", log)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers and readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
