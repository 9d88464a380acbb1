package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// Commands racing a shutdown: a stream client keeps posting emulation
// requests of thousands of commands while the node shuts down with no
// drain window (its connection is closed while the hub still decodes a
// request, whose later commands are still admitted). A command admitted while the hub stops waiting for
// command goroutines must not start one (a WaitGroup Add racing its Wait:
// a data race, and a panic in a build without the race detector); the
// shutdown returns without an error. Run under -race; the interleaving is
// not forced, so a few nodes go through it.
func TestCommandsRacingShutdown(t *testing.T) {
	for round := 1; round <= 3; round++ {
		t.Run(fmt.Sprint("round ", round), commandsRacingShutdown)
	}
}

func commandsRacingShutdown(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Shutdown.DrainWindow = 0
		c.Client.CommandsPerSecond = 0
		c.Client.MaxMessageBytes = 1 << 20
	})
	var streams []*testkit.Stream
	for i := 0; i < 2; i++ {
		streams = append(streams, testkit.DialStream(t, node.BaseURL, testkit.HTTPStream, protocol.TypeJSON, node.Token(fmt.Sprint("racer-", i))))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for _, s := range streams {
		for g := 0; g < 1; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					lines := make([]string, 3000)
					for i := range lines {
						lines[i] = fmt.Sprintf(`{"id":%d,"rpc":{"method":"time"}}`, s.NewID())
						if i%100 == 0 { // one that waits for the engine
							lines[i] = fmt.Sprintf(`{"id":%d,"presence_stats":{"channel":"room:racing"}}`, s.NewID())
						}
					}
					if _, _, err := s.SendRaw(testkit.EmulationBody(protocol.TypeJSON, s.Node, s.Session, []byte(strings.Join(lines, "\n")))); err != nil {
						return
					}
					mu.Lock()
					sent++
					mu.Unlock()
				}
			}()
		}
	}
	// Shut down once the commands flow.
	testkit.Eventually(t, 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return sent >= 4 }, "emulation requests under way")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := node.Server.Shutdown(ctx)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
