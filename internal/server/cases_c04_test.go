package server_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/deflate"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// upgradeDeflate opens a raw TCP WebSocket that negotiated
// permessage-deflate.
func upgradeDeflate(t testing.TB, node *testkit.Node) *tcpWS {
	t.Helper()
	addr := strings.TrimPrefix(node.BaseURL, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	req := "GET /connection/websocket HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	w := &tcpWS{t: t, c: c, br: bufio.NewReader(c)}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if !strings.HasPrefix(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("permessage-deflate not negotiated: %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	return w
}

// zbody compresses p into a permessage-deflate message body.
func zbody(p []byte) []byte {
	var b deflate.Builder
	b.Piece(deflate.AppendPiece(nil, p))
	return b.Finish()
}

// zerosBomb is a message body that inflates to mib MiB of zeros: one MiB
// compressed at the best level (an attacker's choice), repeated.
func zerosBomb(mib int) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = fw.Write(make([]byte, 1<<20))
	_ = fw.Flush()
	var b deflate.Builder
	for range mib {
		b.Piece(buf.Bytes())
	}
	return b.Finish()
}

// rpcBody is a compressed JSON rpc command that inflates to exactly n
// bytes (n ≥ 60); the padding is compressed once and reused.
func rpcBody(id, n int) []byte {
	head := fmt.Sprintf(`{"id":%d,"rpc":{"method":"time","data":"`, id)
	const tail = `"}}`
	pad := n - len(head) - len(tail)
	if padPieces[pad] == nil {
		padPieces[pad] = deflate.AppendPiece(nil, bytes.Repeat([]byte("x"), pad))
	}
	var b deflate.Builder
	b.Raw([]byte(head))
	b.Piece(padPieces[pad])
	b.Raw([]byte(tail))
	return b.Finish()
}

var padPieces = map[int][]byte{}

// replyWith reads frames until a text frame containing want, inflating
// those the server sent compressed (readFrame drops the RSV1 bit: a
// payload that inflates cleanly is taken as compressed).
func (w *tcpWS) replyWith(want string) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		op, p, err := w.readFrame(deadline)
		if err != nil {
			w.t.Fatalf("no reply containing %q: %v", want, err)
		}
		if op == opClose {
			w.t.Fatalf("closed (% x) while waiting for %q", p, want)
		}
		if bytes.Contains(p, []byte(want)) {
			return
		}
		if plain, err := deflate.Inflate(nil, p, 1<<20); err == nil && bytes.Contains(plain, []byte(want)) {
			return
		}
	}
}

// C04: a permessage-deflate message is limited by what it inflates to, not
// by its size on the wire. Refusals are close 1009 with bounded memory; a
// healthy client on the same node keeps receiving publications.
func TestC04DecompressionBomb(t *testing.T) {
	t.Run("X: wire 1 KiB, inflated 10 KiB", func(t *testing.T) {
		const D = 10 << 10
		node := testkit.Start(t, func(c *config.Config) {
			c.Auth.MaxTokenBytes = 512
			c.Client.MaxMessageBytes = 1 * config.KiB
			c.Client.MaxInflatedBytes = D
		})
		w := newWitness(t, node, "room:c04x")

		// Step 1: before auth, one frame of ~100 bytes that inflates to
		// 64 KiB of zeros.
		bomb := zbody(make([]byte, 64<<10))
		if len(bomb) > 1024 {
			t.Fatalf("bomb is %d bytes on the wire", len(bomb))
		}
		a := upgradeDeflate(t, node)
		a.write(cframe(finBit|0x40|opText, bomb))
		if code := a.closeCode(5 * time.Second); code != 1009 {
			t.Fatalf("step 1: close %d, want 1009", code)
		}
		w.check("step 1")

		// Step 2: a message that inflates to exactly D is accepted.
		b := upgradeDeflate(t, node)
		connect := []byte(`{"id":1,"connect":{"token":"` + node.Token("c04") + `"}}`)
		b.write(cframe(finBit|0x40|opText, zbody(connect)))
		b.replyWith(`"id":1`)
		b.write(cframe(finBit|0x40|opText, rpcBody(2, D)))
		b.replyWith(`"id":2`)
		w.check("step 2")

		// Step 3: one byte more is 1009.
		b.write(cframe(finBit|0x40|opText, rpcBody(3, D+1)))
		if code := b.closeCode(5 * time.Second); code != 1009 {
			t.Fatalf("step 3: close %d, want 1009", code)
		}
		w.check("step 3")
	})

	t.Run("Y: wire 64 KiB, inflated 640 KiB", func(t *testing.T) {
		const D = 640 << 10
		node := testkit.Start(t, func(c *config.Config) {
			c.Client.MaxMessageBytes = 64 * config.KiB
			c.Client.MaxInflatedBytes = D
			c.Client.QueueMaxBytes = 8 * config.MiB
		})
		healthy := connect(t, centrifuge.NewJsonClient, node.WSURL, centrifuge.Config{Token: node.Token("healthy"), EnableCompression: true})
		_, rec := subscribe(t, healthy, "room:c04y", centrifuge.SubscriptionConfig{})
		published := 0
		publish := func() {
			published++
			node.Publish("room:c04y", map[string]int{"n": published})
			want := published
			testkit.Eventually(t, 5*time.Second, func() bool { return rec.count() == want }, "healthy client got %d", want)
		}
		publish()

		// Step 4: ~60 KiB on the wire that inflates to 60 MiB.
		bomb := zerosBomb(60)
		if len(bomb) > 64<<10 {
			t.Fatalf("bomb is %d bytes on the wire", len(bomb))
		}
		frame := cframe(finBit|0x40|opText, bomb)
		a := upgradeDeflate(t, node)
		allocated := allocatedDuring(func() {
			a.write(frame)
			if code := a.closeCode(5 * time.Second); code != 1009 {
				t.Fatalf("step 4: close %d, want 1009", code)
			}
		})
		if allocated > 2*D+4<<20 {
			t.Fatalf("step 4: the process allocated %d bytes while refusing the bomb; want under 2×D plus 4 MiB", allocated)
		}
		publish()

		// Step 5: 20 fragments, each inflating to D/10+1 (2×D in all).
		doc := bytes.Repeat([]byte("abcdefgh"), 20*(D/10+1)/8+1)
		body := zbody(doc)
		b := upgradeDeflate(t, node)
		step := len(body)/20 + 1
		for i := 0; i < len(body); i += step {
			first := byte(opCont)
			if i == 0 {
				first = 0x40 | opText
			}
			if i+step >= len(body) {
				first |= finBit
			}
			b.write(cframe(first, body[i:min(i+step, len(body))]))
		}
		if code := b.closeCode(5 * time.Second); code != 1009 {
			t.Fatalf("step 5: close %d, want 1009", code)
		}
		publish()

		// Step 6: 100 messages, each inflating to D−1, are accepted and
		// memory stays flat (no context is kept between messages).
		c := upgradeDeflate(t, node)
		c.write(cframe(finBit|0x40|opText, zbody([]byte(`{"id":1,"connect":{"token":"`+node.Token("c04y")+`"}}`))))
		c.replyWith(`"id":1`)
		heapBefore := heapAfterGC()
		for i := 0; i < 100; i++ {
			c.write(cframe(finBit|0x40|opText, rpcBody(i+2, D-1)))
			c.replyWith(fmt.Sprintf(`"id":%d`, i+2))
		}
		if grown := int64(heapAfterGC()) - int64(heapBefore); grown > 4<<20 {
			t.Fatalf("step 6: heap grew by %d bytes over 100 messages", grown)
		}
		publish()
	})
}

// allocatedDuring reports the bytes the process allocated while fn ran.
func allocatedDuring(fn func()) uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	fn()
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc - before
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
