package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// pubPlan asks every agent to publish from the members' own connections:
// publication j (due at StartNS + j/Rate) goes to room j mod Rooms, sent by
// member (j / Rooms) mod Members of that room. Each agent sends the ones
// whose member it holds, so the schedule is the same in every process.
type pubPlan struct {
	StartNS int64   `json:"start_ns"`
	Rate    float64 `json:"rate"` // publications per second, all rooms together
	DurNS   int64   `json:"dur_ns"`
	Rooms   int     `json:"rooms"`
	Members int     `json:"members"`
	Size    int     `json:"size"`
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
		room := int(j.seq % int64(plan.Rooms))
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
		msg, err := codec.publish(cs.id(), cs.s.channel, pubData(j.intended, pad))
		if err == nil {
			err = codec.send(cs, msg)
		}
		if err != nil {
			f.pubFailed.Add(1)
			f.count(f.pubErrs, "publish not sent", "write", err)
		}
	})
}

// memberDriver is the driver of the rooms scenario: the pool's members
// publish over their own connections.
type memberDriver struct {
	p       pool
	rooms   int
	members int
	size    int
}

func (d *memberDriver) run(ctx context.Context, _ <-chan struct{}, rate float64, dur time.Duration) error {
	plan := pubPlan{
		StartNS: time.Now().Add(50 * time.Millisecond).UnixNano(), Rate: rate, DurNS: int64(dur),
		Rooms: d.rooms, Members: d.members, Size: d.size,
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
