package contender

import (
	"context"
	"sync"
	"sync/atomic"
)

// queueDepth is how many messages one connection may have waiting in user
// space during a broadcast, for every contender: the bounded outbound queue
// of decision D5. When a connection's queue is full the broadcaster waits
// for it (back-pressure), so nothing is dropped and nothing grows without
// bound.
const queueDepth = 64

// fanOut is the broadcast of the goroutine-per-connection libraries, shaped
// as real servers on them are: each connection gets a writer goroutine fed
// by a bounded queue (a channel of queueDepth), and the writer calls the
// library's blocking write once per message. Writer goroutines live for the
// broadcast only, so they do not count in the idle measurements; a real
// server keeps one per connection for good (see the decision record).
//
// The broadcaster works in rounds: a round puts the next queueDepth
// messages on one connection's queue, then on the next connection's, so
// each writer finds a run of messages to write back to back. That is the
// shape of a loaded server whose writers drain per-connection queues, and
// the shape broadcastPoller writes in, so every contender is measured on
// the same write pattern. (Putting message k on every queue before message
// k+1 instead leaves the run length to the Go scheduler: with
// GOMAXPROCS=1 it came out near 10 at 5,000 connections and 40 at 2,000,
// and the kernel's cost per write depends on it.)
//
// A writer whose connection failed keeps draining its queue without writing,
// so the broadcaster never waits on a dead connection.
func fanOut[C any](ctx context.Context, conns []C, msg []byte, count int,
	write func(ctx context.Context, c C, msg []byte) error) BroadcastResult {

	res := BroadcastResult{Conns: len(conns)}
	var writes, failed, runs atomic.Int64
	var wg sync.WaitGroup
	queues := make([]chan []byte, len(conns))
	for i, c := range conns {
		q := make(chan []byte, queueDepth)
		queues[i] = q
		wg.Go(func() {
			dead := false
			for {
				// A receive that has to wait starts a new run of back-to-back
				// writes.
				var m []byte
				var ok bool
				select {
				case m, ok = <-q:
				default:
					runs.Add(1)
					m, ok = <-q
				}
				if !ok {
					return
				}
				if dead {
					continue
				}
				if err := write(ctx, c, m); err != nil {
					dead = true
					failed.Add(1)
					continue
				}
				writes.Add(1)
			}
		})
	}
send:
	for k := 0; k < count; k += queueDepth {
		inRound := min(queueDepth, count-k)
		for _, q := range queues {
			for range inRound {
				select {
				case q <- msg:
				case <-ctx.Done():
					res.Err = ctx.Err().Error()
					break send
				}
			}
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	res.Writes = writes.Load()
	res.Failed = int(failed.Load())
	res.Runs = runs.Load()
	return res
}
