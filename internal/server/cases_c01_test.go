package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/liveroom-dev/liveroom/internal/config"
	"github.com/liveroom-dev/liveroom/internal/testkit"
)

// C01: frame lengths that overflow, sit above the limit or are encoded
// non-minimally are refused with the right close code before anything is
// allocated for them, through the real hub; a fragmented message is held
// to the limit across fragments. A witness W keeps receiving publications
// made through the API after every step.
//
// Not asserted here: "RSS grows by less than 10 MiB" and "never buffers
// more than L" are memory figures; the transport's own tests and
// benchmarks cover them (its MaxPartialBytes counter is not reachable
// through server.Server).
func TestC01FrameLengthOverflow(t *testing.T) {
	const L = 64 << 10
	node := testkit.Start(t, func(c *config.Config) { c.Client.MaxMessageBytes = L })
	w := newWitness(t, node, "room:c01")
	w.check("start")

	key := [4]byte{0xA1, 0xB2, 0xC3, 0xD4}
	be := func(b ...byte) []byte { return b }
	masked := func(p []byte) []byte {
		out := bytes.Clone(p)
		for i := range out {
			out[i] ^= key[i%4]
		}
		return out
	}
	// Steps 2–5: a raw upgrade with no connect command, then one frame.
	for _, tc := range []struct {
		name    string
		lenCode byte
		ext     []byte
		payload []byte
		code    int
	}{
		{"64-bit length 80 00 .. 01 (top bit)", 127, be(0x80, 0, 0, 0, 0, 0, 0, 1), []byte("x"), 1002},
		{"64-bit length FF .. FF (top bit)", 127, be(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), []byte("x"), 1002},
		{"64-bit length 7F FF .. FF (over L)", 127, be(0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), []byte("x"), 1009},
		{"64-bit length 1 MiB + 1 (over L)", 127, be(0, 0, 0, 0, 0, 0x10, 0, 1), []byte("x"), 1009},
		// Step 5, documented in docs/decisions/0003: non-minimal lengths are 1002.
		{"code 127 carrying 5", 127, be(0, 0, 0, 0, 0, 0, 0, 5), []byte("hello"), 1002},
		{"code 126 carrying 100", 126, be(0, 100), bytes.Repeat([]byte("a"), 100), 1002},
	} {
		a := upgradeTCP(t, node)
		frame := append(frameHeader(finBit|opText, tc.lenCode, tc.ext, key), masked(tc.payload)...)
		if tc.lenCode == 127 && len(tc.payload) == 1 && len(frame) != 15 {
			t.Fatalf("%s: frame is %d bytes; the case sends 15", tc.name, len(frame))
		}
		a.write(frame)
		if code := a.closeCode(time.Second); code != tc.code {
			t.Fatalf("%s: closed with %d; want %d within 1 s", tc.name, code, tc.code)
		}
		w.check(tc.name)
	}

	// Step 6a: exactly L bytes in two fragments with a ping between them:
	// accepted (the command in it is answered) and the ping gets its pong.
	a := upgradeTCP(t, node)
	tcpConnect(t, a, node.Token("frag"))
	msg := padTo(`{"id":2,"rpc":{"method":"time"}}`, L)
	a.write(cframe(opText, []byte(msg[:L-1])))
	a.write(cframe(finBit|opPing, []byte("probe-1")))
	a.write(cframe(finBit|opCont, []byte(msg[L-1:])))
	pong, answered := false, false
	deadline := time.Now().Add(5 * time.Second)
	for !pong || !answered {
		op, p, err := a.readFrame(deadline)
		if err != nil {
			t.Fatalf("exact-L message: pong %v, reply %v: %v", pong, answered, err)
		}
		switch op {
		case opPong:
			pong = pong || string(p) == "probe-1"
		case opText:
			for _, rep := range decodeReplies(t, p) {
				if rep.Id == 2 {
					if rep.Error != nil || rep.Rpc == nil {
						t.Fatalf("exact-L message: reply %+v; want the time RPC result", rep)
					}
					answered = true
				}
			}
		case opClose:
			t.Fatalf("exact-L message closed the connection: %q", p)
		}
	}
	w.check("exact L")

	// Step 6b: L+1 bytes the same way: the pong, then 1009, and no reply.
	msg = padTo(`{"id":3,"rpc":{"method":"time"}}`, L+1)
	a.write(cframe(opText, []byte(msg[:L-1])))
	a.write(cframe(finBit|opPing, []byte("probe-2")))
	a.write(cframe(finBit|opCont, []byte(msg[L-1:])))
	if code := closeSkippingReplies(t, a, 3); code != 1009 {
		t.Fatalf("L+1 bytes: closed with %d; want 1009", code)
	}
	w.check("L+1")

	// Step 6c: a 1 KiB start and 1 KiB continuations. At exactly L the
	// connection still answers a ping; the continuation that passes L gets
	// 1009. The rest of the 200 continuations follow unread.
	a = upgradeTCP(t, node)
	tcpConnect(t, a, node.Token("frag"))
	kib := bytes.Repeat([]byte("a"), 1024)
	a.write(cframe(opText, kib))
	for i := 1; i < L/1024; i++ {
		a.write(cframe(opCont, kib))
	}
	a.write(cframe(finBit|opPing, []byte("probe-3")))
	for {
		op, p, err := a.readFrame(time.Now().Add(5 * time.Second))
		if err != nil || op == opClose {
			t.Fatalf("with exactly L buffered: op %d %q %v; want the pong", op, p, err)
		}
		if op == opPong && string(p) == "probe-3" {
			break
		}
	}
	a.write(cframe(opCont, kib)) // the running total passes L here
	for i := L/1024 + 1; i <= 200; i++ {
		_, _ = a.c.Write(cframe(opCont, kib)) // may fail once the server has closed
	}
	if code := a.closeCode(time.Second); code != 1009 {
		t.Fatalf("200 continuations: closed with %d; want 1009", code)
	}
	w.check("200 continuations")
}

// padTo pads a JSON command with trailing spaces to n bytes.
func padTo(cmd string, n int) string { return cmd + strings.Repeat(" ", n-len(cmd)) }

func decodeReplies(t *testing.T, frame []byte) []*protocol.Reply {
	t.Helper()
	var out []*protocol.Reply
	dec := protocol.NewJSONReplyDecoder(frame)
	for {
		rep, err := dec.Decode()
		if rep != nil {
			out = append(out, rep)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("undecodable frame %.200q: %v", frame, err)
			}
			return out
		}
	}
}

// tcpConnect authenticates a raw connection with command id 1.
func tcpConnect(t *testing.T, a *tcpWS, token string) {
	t.Helper()
	cmd, _ := json.Marshal(map[string]any{"id": 1, "connect": map[string]string{"token": token}})
	a.write(cframe(finBit|opText, cmd))
	for {
		op, p, err := a.readFrame(time.Now().Add(5 * time.Second))
		if err != nil || op == opClose {
			t.Fatalf("connect: op %d %q %v", op, p, err)
		}
		for _, rep := range decodeReplies(t, p) {
			if rep.Id == 1 {
				if rep.Connect == nil {
					t.Fatalf("connect: %+v", rep)
				}
				return
			}
		}
	}
}

// closeSkippingReplies reads until the close frame; a reply to command id
// before it fails the test.
func closeSkippingReplies(t *testing.T, a *tcpWS, id uint32) int {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		op, p, err := a.readFrame(deadline)
		if err != nil {
			t.Fatalf("no close frame within 1 s: %v", err)
		}
		switch op {
		case opText:
			for _, rep := range decodeReplies(t, p) {
				if rep.Id == id {
					t.Fatalf("command %d in an over-limit message was answered: %+v", id, rep)
				}
			}
		case opClose:
			if len(p) < 2 {
				return 1005
			}
			return int(p[0])<<8 | int(p[1])
		}
	}
}
