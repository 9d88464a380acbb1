package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// During the shutdown drain window the node still answers HTTP: stream
// clients not disconnected yet keep sending their commands (and pongs) as
// emulation requests and get their replies, as WebSocket clients do on
// their open sockets, instead of a refused connection that makes every
// one of them reconnect at once. New connections are refused with 503 and
// /readyz says the node is shutting down; the shutdown still ends in time.
func TestEmulationServedDuringShutdownDrain(t *testing.T) {
	const window = 4 * time.Second
	node := testkit.Start(t, func(c *config.Config) { c.Shutdown.DrainWindow = config.Duration(window) })
	var streams []*testkit.Stream
	for _, k := range append(streamKinds, streamKinds...) {
		streams = append(streams, testkit.DialStream(t, node.BaseURL, k.kind, k.proto, node.Token("drained")))
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- node.Server.Shutdown(ctx)
	}()
	testkit.Eventually(t, 5*time.Second, func() bool { return node.Server.Hub().Ready(context.Background()) != nil }, "the hub draining")

	status, body := get(t, node.BaseURL+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz while draining: %d %q; want 503 saying it is shutting down", status, body)
	}
	for _, k := range streamKinds {
		req := testkit.StreamRequest(node.BaseURL, k.kind, k.proto, testkit.EncodeCommands(k.proto,
			&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: node.Token("late")}}))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("new %s stream while draining: %v", k.kind, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("new %s stream while draining: %d; want 503 with Retry-After", k.kind, resp.StatusCode)
		}
	}

	// Every stream still open gets its command through; one already
	// disconnected may be told 404 (its session ended), never a refused
	// connection.
	var wg sync.WaitGroup
	var mu sync.Mutex
	served := 0
	for _, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := &protocol.Command{Id: s.NewID(), Rpc: &protocol.RPCRequest{Method: "time"}}
			status, body, err := s.Send(cmd)
			switch {
			case err != nil:
				t.Errorf("%s/%s: emulation while draining: %v", s.Kind, s.Proto, err)
			case status == http.StatusNotFound:
			case status != http.StatusNoContent:
				t.Errorf("%s/%s: emulation while draining: %d %q", s.Kind, s.Proto, status, body)
			default:
				// The reply comes unless the stream's 3001 overtook it.
				err := s.WaitFor(10*time.Second, func() bool { return s.Replied(cmd.Id) })
				switch {
				case err == nil:
					mu.Lock()
					served++
					mu.Unlock()
				case !errors.Is(err, io.EOF):
					t.Errorf("%s/%s: no reply while draining: %v", s.Kind, s.Proto, err)
				}
			}
		}()
	}
	wg.Wait()
	if served == 0 {
		t.Errorf("no emulation request was served during a %s drain window", window)
	}
	for _, s := range streams {
		if d, _ := s.WaitEnd(15 * time.Second); d == nil || d.Code != 3001 {
			t.Errorf("%s/%s: disconnect %+v; want 3001", s.Kind, s.Proto, d)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
