package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

func TestZZScratchPong(t *testing.T) {
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.PingInterval = config.Duration(50 * time.Millisecond)
		c.Client.PongTimeout = config.Duration(40 * time.Millisecond)
		c.Client.CommandsPerSecond = 0
		c.Client.QueueMaxBytes = 16 << 20
	})
	c := dialP(t, node.WSURL)
	c.connect(node.Token("x"))
	for i := 0; i < 50; i++ {
		c.call(subCmd(fmt.Sprintf("room:z-%d", i)))
	}
	api := newAPIPoster(t, node)
	var wg sync.WaitGroup
	for p := 0; p < 50; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := 0; s < 200; s++ {
				api.publish(fmt.Sprintf("room:z-%d", p), []byte("1"))
			}
		}()
	}
	start := time.Now()
	var maxGap time.Duration
	last := time.Now()
	for len(c.pubs("")) >= 0 {
		n := 0
		for _, p := range c.pushes { if p.Pub != nil { n++ } }
		if n >= 10000 { break }
		before := c.pings
		if err := c.read(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatalf("after %d pubs %v: %v", n, time.Since(start), err)
		}
		if c.pings > before {
			if g := time.Since(last); g > maxGap { maxGap = g }
			last = time.Now()
		}
	}
	wg.Wait()
	t.Logf("done in %v, pings %d, max gap between pings %v, stats %v", time.Since(start), c.pings, maxGap, node.Server.Hub().Stats().Disconnects)
}
