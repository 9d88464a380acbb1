package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// roomsResult is the result line of the rooms scenario.
type roomsResult struct {
	Scenario   string      `json:"scenario"`
	Key        string      `json:"key"`
	Target     string      `json:"target"`
	Label      string      `json:"label,omitempty"`
	Mode       string      `json:"mode"`
	Rooms      int         `json:"rooms"`
	Members    int         `json:"members"`
	RoomRate   float64     `json:"rate_per_room"` // publications per second in each room
	Prefix     string      `json:"channel_prefix"`
	Size       int         `json:"size"`
	Via        string      `json:"publish_via"`
	Saturation *saturation `json:"saturation,omitempty"`
	// Stamp is what a publication's latency is measured from: "intended"
	// (its scheduled time) or "sent" (the time the tool wrote it).
	Stamp string `json:"stamp"`
	// SendLateness is how late the members' publications left the tool
	// (write time − scheduled time), warm-up and window together; nil when
	// publishing through the API.
	SendLateness *latency.Summary `json:"send_lateness,omitempty"`
	stepResult
}

func runRooms(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	t := &target{stderr: stderr}
	l := &load{t: t, log: log}
	var rooms, members, size, workers, dialing int
	var prefix, via, stamp string
	var roomRate, connectRate float64
	var warmup, duration time.Duration
	var findSat bool
	fs := flag.NewFlagSet("liveroom-bench rooms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	t.register(fs)
	l.register(fs)
	fs.IntVar(&rooms, "rooms", 1000, "rooms (channels)")
	fs.IntVar(&members, "members", 20, "connections subscribed to each room")
	fs.Float64Var(&roomRate, "rate", 1, "publications per second in each room (without --find-saturation; the search's rates are per room too)")
	fs.StringVar(&prefix, "prefix", "room:chat-", "room k is the channel <prefix><k>")
	fs.IntVar(&size, "size", 100, fmt.Sprintf("bytes of publication data (at least %d)", dataOverhead))
	fs.StringVar(&via, "publish-via", "ws", "ws: members publish over their own connections, in turn; api: POST /api/publish from this process")
	fs.StringVar(&stamp, "stamp", "intended", "with --publish-via ws, what latency is measured from: intended (each publication's scheduled time; the tool's own lateness counts) or sent (the time the tool writes it)")
	fs.IntVar(&workers, "workers", 256, "with --publish-via api: calls in flight at most")
	fs.DurationVar(&warmup, "warmup", 5*time.Second, "publishing before the measurement window")
	fs.DurationVar(&duration, "duration", 30*time.Second, "measurement window")
	fs.BoolVar(&findSat, "find-saturation", false, "ramp the rate per room to the highest that keeps up, then measure at half of it")
	fs.Float64Var(&connectRate, "connect-rate", 2000, "new connections per second")
	fs.IntVar(&dialing, "dialing", 256, "handshakes in flight at most")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if rooms < 1 || members < 1 || roomRate <= 0 || size < dataOverhead || (via != "ws" && via != "api") || (stamp != "intended" && stamp != "sent") {
		fmt.Fprintln(stderr, "liveroom-bench rooms: --rooms, --members and --rate must be positive, --size at least", dataOverhead, ", --publish-via ws or api, --stamp intended or sent")
		return errUsage
	}
	if err := t.resolve(); err != nil {
		return err
	}
	stopProfile, err := t.profile()
	if err != nil {
		return err
	}
	defer stopProfile()

	n := rooms * members
	if l.pool, err = openPool(ctx, log, t, fleetConfig{
		Layout: layoutRooms, Channel: prefix, Members: members,
		ConnectRate: connectRate, Dialing: dialing, Reconnect: true,
	}, n); err != nil {
		return err
	}
	defer l.pool.close()
	l.want = n
	// Every publication reaches the members of its room, the sender too.
	l.fanout = func(ready int64) float64 { return float64(ready) / float64(rooms) }
	log.Info("connecting members", "rooms", rooms, "members", members, "target", t.name())
	if err := waitReady(ctx, log, l.pool, n, 10*time.Minute); err != nil {
		return err
	}
	if err := waitQuiet(ctx, l.pool); err != nil {
		return err
	}
	if via == "ws" {
		l.drv = &memberDriver{p: l.pool, rooms: rooms, members: members, size: size, stampSent: stamp == "sent"}
	} else {
		pub, err := newPublisher(ctx, log, t, pubConfig{Via: "api", Size: size, Workers: workers,
			ChannelOf: func(seq int64) string { return prefix + strconv.FormatInt(seq%int64(rooms), 10) }})
		if err != nil {
			return err
		}
		defer pub.close()
		l.drv = pub
	}

	// The load's rates are publications per second over all rooms.
	res := roomsResult{Scenario: "rooms", Target: t.name(), Label: t.label, Mode: "fixed",
		Rooms: rooms, Members: members, Prefix: prefix, Size: size, Via: via, Stamp: stamp}
	if via == "api" {
		res.Stamp = "intended"
	}
	total := roomRate * float64(rooms)
	if findSat {
		l.rateStart *= float64(rooms)
		sat, err := l.findSaturation(ctx)
		if err != nil {
			return err
		}
		res.Saturation, res.Mode = sat, "half-saturation"
		total = sat.Rate / 2
	}
	res.RoomRate = round3(total / float64(rooms))
	log.Info("measuring", "publications_per_sec", total, "per_room", res.RoomRate, "window", duration)
	if res.stepResult, err = l.measureUndisturbed(ctx, total, warmup, duration, false); err != nil {
		return err
	}
	if via == "ws" {
		h, err := l.pool.hists(ctx)
		if err != nil {
			return err
		}
		late := h.Lateness.Summary()
		res.SendLateness = &late
	}
	res.Key = fmt.Sprintf("rooms/%s/%s/%dx%d/%s", res.Target, res.Mode, rooms, members, via)
	return writeResult(stdout, res, roomsSummary(res))
}
