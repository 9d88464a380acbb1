package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/gorilla/websocket"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// dialRaw opens a WebSocket with a small receive buffer and sends connect
// and subscribe; it reads the two replies and then never reads again.
func dialRaw(t *testing.T, node *testkit.Node, user, channel string, rcvBuf int) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var nd net.Dialer
		c, err := nd.DialContext(ctx, network, addr)
		if err == nil && rcvBuf > 0 {
			_ = c.(*net.TCPConn).SetReadBuffer(rcvBuf)
		}
		return c, err
	}}
	ws, _, err := d.Dial(node.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	frame := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":%q}}`, node.Token(user), channel)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatal(err)
	}
	replies := 0
	for replies < 2 {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("raw client: %v", err)
		}
		replies += len(strings.Split(strings.TrimSpace(string(msg)), "\n"))
	}
	return ws
}

// C08 / design D5: a client that stops reading is disconnected with 3008
// when its queue overflows; healthy subscribers keep receiving everything
// in order and the publishers never block on it.
func TestSlowConsumerIsDisconnected(t *testing.T) {
	const publishers, perPublisher, fast = 4, 2500, 16
	const total = publishers * perPublisher
	node := testkit.Start(t, func(c *config.Config) {
		c.Client.QueueMaxBytes = 1 << 20
		c.Client.WriteTimeout = config.Duration(2 * time.Second)
		for i := range c.Namespaces {
			if c.Namespaces[i].Name == "room" {
				c.Namespaces[i].Presence, c.Namespaces[i].JoinLeave = false, false
			}
		}
	})
	h := node.Server.Hub()
	ch := "room:slow"
	slow := dialRaw(t, node, "slowpoke", ch, 4096)
	_ = slow
	var recs []*recorder
	for i := 0; i < fast; i++ {
		c := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token(fmt.Sprintf("fast-%d", i))})
		_, rec := subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
		recs = append(recs, rec)
	}
	payload := strings.Repeat("x", 1024)
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for seq := 1; seq <= perPublisher; seq++ {
				data, _ := json.Marshal(map[string]any{"p": p, "seq": seq, "pad": payload})
				status, err := testkit.CallAPI(node.BaseURL, node.APIKey, "publish", map[string]any{"channel": ch, "data": json.RawMessage(data)}, nil)
				if err != nil || status != 200 {
					errs <- fmt.Errorf("publisher %d seq %d: status %d %v", p, seq, status, err)
					return
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		s := h.Stats()
		return s.Disconnects[3008] >= 1 && s.QueueOverflows >= 1
	}, "the slow client is disconnected with 3008")
	for i, rec := range recs {
		testkit.Eventually(t, 30*time.Second, func() bool { return rec.count() >= total }, "fast client %d has %d of %d", i, rec.count(), total)
		rec.mu.Lock()
		last := map[int]int{}
		for j, p := range rec.pubs {
			var m struct{ P, Seq int }
			if err := json.Unmarshal(p.Data, &m); err != nil {
				t.Fatal(err)
			}
			if m.Seq != last[m.P]+1 || p.Offset != uint64(j+1) {
				rec.mu.Unlock()
				t.Fatalf("fast client %d: publisher %d seq %d after %d at offset %d", i, m.P, m.Seq, last[m.P], p.Offset)
			}
			last[m.P] = m.Seq
		}
		n := len(rec.pubs)
		rec.mu.Unlock()
		if n != total {
			t.Fatalf("fast client %d got %d publications; want %d", i, n, total)
		}
	}
	// The slow connection's queue is gone: what remains queued belongs to
	// the 16 healthy clients, which have drained.
	testkit.Eventually(t, 10*time.Second, func() bool { return h.Stats().QueuedBytes == 0 }, "queues drained, slow queue freed (%d bytes queued)", h.Stats().QueuedBytes)
	if open := h.Stats().ConnectionsOpen; open != fast {
		t.Fatalf("%d connections open; want the %d fast ones", open, fast)
	}
}
