package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkStoredDeliveryLatency is the durable path of a chat room without
// WebSockets: publications at a fixed rate (one every 1/roomRate s, channel
// k mod roomChannels, each from a goroutine of its own as commands come
// from their connections) stored with the per-channel expected-sequence
// check and received live from the RePublish subject. It reports the
// latency from each publication's due time to its arrival, in ms (no
// coordinated omission: a late start counts), for two paths:
//
//   - engine: liveroom's Publish and Deliveries (writer table, offset header,
//     wildcard route table, dispatch shard);
//   - jetstream: the same stream features driven bare through nats.go (one
//     expected-sequence publish, one wildcard subscriber), the floor that
//     design D3 (stored before delivered) sets on this machine;
//   - jetstream-memory: the same with the stream in memory instead of
//     files, the floor of any stored-before-delivered design on JetStream;
//   - core: a plain NATS publish and wildcard subscription, nothing stored,
//     the in-process hop alone (what a server that delivers without
//     storing would pay to use NATS at all).
//
// One publication per b.N; run it pinned as the server is in the rooms
// scenario, e.g.
//
//	taskset -c 0 go test -run '^$' -bench StoredDeliveryLatency -benchtime 18000x -cpu 1 ./internal/engine
func BenchmarkStoredDeliveryLatency(b *testing.B) {
	b.Run("engine", func(b *testing.B) { runLatencyBench(b, engineRoomPath) })
	b.Run("jetstream", func(b *testing.B) { runLatencyBench(b, bareRoomPath(jetstream.FileStorage)) })
	b.Run("jetstream-memory", func(b *testing.B) { runLatencyBench(b, bareRoomPath(jetstream.MemoryStorage)) })
	b.Run("core", func(b *testing.B) { runLatencyBench(b, coreRoomPath) })
}

const (
	roomChannels = 900
	roomRate     = 900 // publications/s over all channels, as in the rooms scenario
)

// roomPath sets up one way to publish to channel i and to receive: deliver
// is called with the publication number carried in the body.
type roomPath func(ctx context.Context, b *testing.B, e *Engine, deliver func(k uint64)) (publish func(ctx context.Context, i int, body []byte) error)

func runLatencyBench(b *testing.B, path roomPath) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	e, err := Start(ctx, Config{DataDir: b.TempDir(), NodeName: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.Close(context.Background()) }()
	due := make([]time.Time, b.N)
	sent := make([]atomic.Int64, b.N) // when the publishing goroutine called publish, Unix ns
	lat := make([]time.Duration, b.N)
	fromSend := make([]time.Duration, b.N)
	var got atomic.Int64
	done := make(chan struct{})
	publish := path(ctx, b, e, func(k uint64) {
		if k < uint64(len(lat)) && lat[k] == 0 {
			lat[k] = max(time.Since(due[k]), 1)
			fromSend[k] = time.Duration(time.Now().UnixNano() - sent[k].Load())
			if got.Add(1) == int64(len(lat)) {
				close(done)
			}
		}
	})
	var failed atomic.Int64
	var wg sync.WaitGroup
	interval := time.Second / roomRate
	b.ResetTimer()
	start := time.Now()
	for k := range b.N {
		due[k] = start.Add(time.Duration(k) * interval)
		if d := time.Until(due[k]); d > 0 {
			time.Sleep(d) // pacing the load, not waiting for a result
		}
		body := binary.BigEndian.AppendUint64(make([]byte, 0, 100), uint64(k))
		body = body[:100]
		wg.Go(func() {
			sent[k].Store(time.Now().UnixNano())
			if err := publish(ctx, k%roomChannels, body); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatalf("%d of %d publications arrived", got.Load(), b.N)
	}
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d publishes failed", n)
	}
	slices.Sort(lat)
	slices.Sort(fromSend)
	ms := func(l []time.Duration, q float64) float64 {
		return float64(l[min(len(l)-1, int(q*float64(len(l))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(lat, 0.5), "p50-ms")
	b.ReportMetric(ms(lat, 0.99), "p99-ms")
	b.ReportMetric(ms(lat, 0.999), "p99.9-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
	// From the publish call on: without the pacing's own lateness (a
	// sleep shorter than 1 ms can last up to about 1 ms), and the measure
	// the load tool's send timestamp corresponds to.
	b.ReportMetric(ms(fromSend, 0.5), "sent-p50-ms")
	b.ReportMetric(ms(fromSend, 0.99), "sent-p99-ms")
}

// engineRoomPath: liveroom's engine, namespace "room" as shipped.
func engineRoomPath(ctx context.Context, b *testing.B, e *Engine, deliver func(k uint64)) func(context.Context, int, []byte) error {
	if err := e.EnsureNamespace(ctx, NamespaceSpec{Namespace: "room", HistorySize: 1000}); err != nil {
		b.Fatal(err)
	}
	refs := make([]ChannelRef, roomChannels)
	for i := range refs {
		refs[i] = Ref("room", "room:chat-"+strconv.Itoa(i))
		sub, err := e.Deliveries(ctx, refs[i], func(d Delivery) { deliver(binary.BigEndian.Uint64(d.Body)) })
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(sub.Stop)
	}
	return func(ctx context.Context, i int, body []byte) error {
		_, err := e.Publish(ctx, refs[i], body, "")
		return err
	}
}

// bareRoomPath: a stream of its own with the same RePublish and
// expected-last-subject-sequence publishes, through nats.go directly, in
// the given storage.
func bareRoomPath(storage jetstream.StorageType) roomPath {
	return func(ctx context.Context, b *testing.B, e *Engine, deliver func(k uint64)) func(context.Context, int, []byte) error {
		return bareRoom(ctx, b, e, storage, deliver)
	}
}

func bareRoom(ctx context.Context, b *testing.B, e *Engine, storage jetstream.StorageType, deliver func(k uint64)) func(context.Context, int, []byte) error {
	_, err := e.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "BARE", Subjects: []string{"bare.in.>"}, MaxMsgsPerSubject: 1000, Storage: storage,
		RePublish: &jetstream.RePublish{Source: "bare.in.>", Destination: "bare.out.>"},
	})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := e.nc.Subscribe("bare.out.>", func(m *nats.Msg) { deliver(binary.BigEndian.Uint64(m.Data)) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := e.nc.FlushWithContext(ctx); err != nil {
		b.Fatal(err)
	}
	type channel struct {
		mu      sync.Mutex
		lastSeq uint64
	}
	chans := make([]channel, roomChannels)
	return func(ctx context.Context, i int, body []byte) error {
		c := &chans[i]
		c.mu.Lock()
		defer c.mu.Unlock()
		ack, err := e.js.PublishMsg(ctx, &nats.Msg{Subject: fmt.Sprintf("bare.in.%d", i), Data: body},
			jetstream.WithExpectLastSequencePerSubject(c.lastSeq))
		if err != nil {
			return err
		}
		c.lastSeq = ack.Sequence
		return nil
	}
}

// coreRoomPath: core NATS only, nothing stored: each publication is a plain
// publish received through one wildcard subscription.
func coreRoomPath(ctx context.Context, b *testing.B, e *Engine, deliver func(k uint64)) func(context.Context, int, []byte) error {
	sub, err := e.nc.Subscribe("core.out.>", func(m *nats.Msg) { deliver(binary.BigEndian.Uint64(m.Data)) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := e.nc.FlushWithContext(ctx); err != nil {
		b.Fatal(err)
	}
	return func(_ context.Context, i int, body []byte) error {
		return e.nc.Publish("core.out."+strconv.Itoa(i), body)
	}
}
