package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestStampAnySplit: the stamps written into frames come back out of the
// counter whatever the read boundaries, including ones inside the digits.
func TestStampAnySplit(t *testing.T) {
	const size = 64
	frame := encodeFrame(size)
	hdr := len(frame) - size
	stamps := []int64{0, 7, 1_764_000_000_123_456_789, 999_999_999_999_999_999}
	var stream []byte
	for _, s := range stamps {
		stream = append(stream, frame...)
		stamp(stream[len(stream)-len(frame):], hdr, s)
	}
	for _, chunk := range []int{1, 2, 5, hdr + 1, hdr + 10, 4096} {
		var got []int64
		c := frameCounter{size: size, onStamp: func(t int64) { got = append(got, t) }}
		for p := stream; len(p) > 0; {
			k := min(chunk, len(p))
			if err := c.feed(p[:k]); err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			p = p[k:]
		}
		if c.frames != int64(len(stamps)) || len(got) != len(stamps) {
			t.Fatalf("chunk %d: %d frames, stamps %v", chunk, c.frames, got)
		}
		for i := range stamps {
			if got[i] != stamps[i] {
				t.Fatalf("chunk %d: stamp %d = %d, want %d", chunk, i, got[i], stamps[i])
			}
		}
	}
}

// An unstamped frame read with -latency is refused, naming the byte.
func TestStampRefusesUnstamped(t *testing.T) {
	c := frameCounter{size: 64, onStamp: func(int64) {}}
	err := c.feed(encodeFrame(64))
	if err == nil || !strings.Contains(err.Error(), "want a digit of the send time") {
		t.Fatalf("err = %v", err)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	h := newUSHistogram()
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	h.record(-time.Millisecond)
	h.record(time.Minute) // past the last bucket: counted, and max
	s := h.summary()
	if s.Samples != 1002 || s.Negative != 1 || s.P50 != 500 || s.P99 != 991 || s.Max != 60000 {
		t.Fatalf("%+v", s)
	}
	if q := h.quantile(1); q != 60000 {
		t.Fatalf("q(1) = %v", q)
	}
}

// TestPacedSmoke runs a paced serve and a latency client in-process: 50
// connections, 100 publications/s for 1 s, in both modes. Every frame
// arrives, each with a stamp, none read before it was due.
func TestPacedSmoke(t *testing.T) {
	for _, mode := range []string{"-coalesce=false", "-coalesce=true"} {
		t.Run(mode, func(t *testing.T) {
			url, sout, sdone := startServe(t, "-conns", "50", "-rate", "100", "-duration", "1s", "-size", "64", "-start-delay", "50ms", mode)
			var cout bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := runClient(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), clientConfig{
				url: url, conns: 50, count: 100, size: 64, sourceAddrs: 2, dialers: 4, timeout: 30 * time.Second, latency: true,
			}, &cout)
			if err != nil {
				t.Fatal(err)
			}
			if code := <-sdone; code != 0 {
				t.Fatalf("serve exited with %d", code)
			}
			var s pacedResult
			var c countResult
			if err := json.Unmarshal([]byte(sout.lastLine()), &s); err != nil {
				t.Fatalf("serve result %q: %v", sout.lastLine(), err)
			}
			if err := json.Unmarshal(cout.Bytes(), &c); err != nil {
				t.Fatalf("client result %q: %v", cout.String(), err)
			}
			if s.Publications != 100 || s.Frames != 5000 || c.Frames != 5000 || c.Latency == nil {
				t.Fatalf("serve %+v\nclient %+v", s, c)
			}
			if l := c.Latency; l.Samples != 5000 || l.Negative != 0 || l.P50 > l.P99 || l.P99 > l.Max {
				t.Fatalf("latency %+v", l)
			}
			if !strings.HasPrefix(s.Mode, "paced-") {
				t.Fatalf("mode %q", s.Mode)
			}
			t.Logf("%s: %d writes, latency %+v", s.Mode, s.Writes, *c.Latency)
		})
	}
}
