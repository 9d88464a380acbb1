package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// pubPlan asks every agent to publish from the members' own connections:
// publication j (due at StartNS + j/Rate) goes to room roomOf(j), sent by
// member (j / Rooms) mod Members of that room. Each agent sends the ones
// whose member it holds, so the schedule is the same in every process.
type pubPlan struct {
	StartNS int64   `json:"start_ns"`
	Rate    float64 `json:"rate"` // publications per second, all rooms together
	DurNS   int64   `json:"dur_ns"`
	Rooms   int     `json:"rooms"`
	Members int     `json:"members"`
	Size    int     `json:"size"`
	// StampSent makes each publication carry the time it is written
	// instead of the time it was scheduled (see --stamp).
	StampSent bool `json:"stamp_sent,omitempty"`
}

// publish starts this agent's part of plan; it runs until the schedule ends
// or the agent closes.
func (a *agent) publish(plan pubPlan) error {
	cfg := a.f.cfg
	if cfg.Layout != layoutRooms || plan.Members != cfg.Members || plan.Rooms < 1 || plan.Rate <= 0 {
		return errors.New("member publishing needs the rooms layout and a plan that matches it")
	}
	a.f.pubActive.Add(1)
	a.wg.Go(func() {
		defer a.f.pubActive.Add(-1)
		a.runMembers(plan)
	})
	return nil
}

func (a *agent) runMembers(plan pubPlan) {
	f := a.f
	pad := strings.Repeat("x", max(plan.Size-dataOverhead, 0))
	codec := f.t.codec
	schedule(a.ctx, nil, plan.StartNS, plan.Rate, time.Duration(plan.DurNS), func(j job) {
		room := plan.roomOf(j.seq)
		member := int(j.seq/int64(plan.Rooms)) % plan.Members
		i := room*plan.Members + member
		if i < f.cfg.From || i >= f.cfg.To {
			return
		}
		f.pubSent.Add(1)
		cs := f.conns[i-f.cfg.From].Load()
		if cs == nil {
			f.pubFailed.Add(1)
			f.count(f.pubErrs, "publish not sent", "member not subscribed", nil)
			return
		}
		now := time.Now().UnixNano()
		f.lateHist.Record(time.Duration(now - j.intended))
		stamp := j.intended
		if plan.StampSent {
			stamp = now
		}
		msg, err := codec.publish(cs.id(), cs.s.channel, pubData(stamp, pad))
		if err == nil {
			err = codec.send(cs, msg)
		}
		if err != nil {
			f.pubFailed.Add(1)
			f.count(f.pubErrs, "publish not sent", "write", err)
		}
	})
}

// roomOf is the room of publication j: every room once in each run of
// Rooms publications, in an order that strides across the room numbers
// (j·stride mod Rooms, the stride coprime with Rooms and near Rooms/φ).
// Rooms are numbered in blocks per tool process, so walking them in
// number order would give each process its rooms' turn in one block of
// every second and leave it idle for the rest; both the servers and the
// tool then saw a stall each time the busy process changed. Strided, every
// process publishes and receives at a steady rate, as real clients do.
func (p pubPlan) roomOf(j int64) int {
	n := int64(p.Rooms)
	return int(j % n * roomStride(n) % n)
}

// roomStride is the integer nearest n/φ that is coprime with n (1 for n ≤ 2).
func roomStride(n int64) int64 {
	if n <= 2 {
		return 1
	}
	base := int64(float64(n)/math.Phi + 0.5)
	for d := int64(0); ; d++ {
		for _, s := range []int64{base + d, base - d} {
			if s > 0 && s < n && gcd(s, n) == 1 {
				return s
			}
		}
	}
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// memberDriver is the driver of the rooms scenario: the pool's members
// publish over their own connections.
type memberDriver struct {
	p       pool
	rooms   int
	members int
	size    int
	// stampSent: publications carry their write time, not their
	// scheduled time (--stamp sent).
	stampSent bool
}

func (d *memberDriver) run(ctx context.Context, _ <-chan struct{}, rate float64, dur time.Duration) error {
	plan := pubPlan{
		StartNS: time.Now().Add(50 * time.Millisecond).UnixNano(), Rate: rate, DurNS: int64(dur),
		Rooms: d.rooms, Members: d.members, Size: d.size, StampSent: d.stampSent,
	}
	if err := d.p.publish(ctx, plan); err != nil {
		return err
	}
	// The schedules end in every agent, then the answers arrive.
	deadline := time.Now().Add(dur + 30*time.Second)
	for {
		st, err := d.p.stats(ctx)
		if err != nil {
			return err
		}
		if st.PubActive == 0 && st.PubAcked+st.PubFailed >= st.PubSent {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("member publications: %d sent, %d answered 30 s after the schedule", st.PubSent, st.PubAcked+st.PubFailed)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

func (d *memberDriver) counters(ctx context.Context) (pubCounters, error) {
	st, err := d.p.stats(ctx)
	if err != nil {
		return pubCounters{}, err
	}
	return pubCounters{Sent: st.PubSent, Acked: st.PubAcked, Failed: st.PubFailed, Errs: st.PubErrs}, nil
}

func (d *memberDriver) setAck(*latency.Histogram) {}
func (d *memberDriver) close()                    {}
