package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
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
	getenv := func(string) string { return "" }
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"token", "--user", "ann", "--channels", strings.Join(chans, ","), "--data-dir", t.TempDir()}, getenv, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--channels lists 129 channels but client.max_subscriptions is 128") || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 2 naming both numbers and no token", code, stdout.String(), stderr.String())
	}
	// Within the limit the command goes on (and here stops for want of the
	// node's secrets, which this empty data directory does not hold).
	stderr.Reset()
	code = run(context.Background(), []string{"token", "--user", "ann", "--channels", strings.Join(chans[:128], ","), "--data-dir", t.TempDir()}, getenv, &stdout, &stderr)
	if code == 0 || strings.Contains(stderr.String(), "max_subscriptions") {
		t.Fatalf("exit %d, stderr %q; want the limit check passed", code, stderr.String())
	}
}
