package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/liveroom-dev/liveroom/cmd/liveroom-bench/internal/latency"
)

// writeResult prints the JSON line and then the human summary, each line
// of it starting with "# ".
func writeResult(w io.Writer, res any, summary []string) error {
	line, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	var b strings.Builder
	b.Write(line)
	b.WriteByte('\n')
	for _, s := range summary {
		b.WriteString("# ")
		b.WriteString(s)
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func idleSummary(r idleResult) []string {
	out := []string{
		fmt.Sprintf("%s idle: %d connections, each subscribed to its own personal channel, connected in %.1f s", r.Target, r.Conns, r.ConnectSeconds),
	}
	if r.SettledMiB > 0 {
		out = append(out, fmt.Sprintf("server RSS %.1f MiB before, %.1f MiB settled, %.1f MiB at the end: %.2f KiB per connection",
			r.BaselineMiB, r.SettledMiB, r.EndMiB, r.KiBPerConn))
		out = append(out, fmt.Sprintf("server CPU while idle: %.3f s over %.0f s (%.2f %% of a core; %.3f ms/s per 1,000 connections); rest of the machine %.2f cores; %s",
			r.Idle.ServerCPU, r.Idle.Seconds, r.Idle.ServerUtil*100, r.CPUMsPerSec1K, r.Idle.OtherUtil, waitLine(r.Idle)))
	}
	if r.Heap != nil {
		when := "after all connected"
		if !r.Heap.AfterConnected {
			when = "before all connected (no GC since)"
		}
		line := fmt.Sprintf("Go heap live %d MB (gc %d, %s; goal %d MB, stacks %d MB)",
			r.Heap.LiveMB, r.Heap.GC, when, r.Heap.GoalMB, r.Heap.StacksMB)
		if b := r.HeapBase; b != nil {
			line += fmt.Sprintf(", baseline %d MB (gc %d): %.2f KiB per connection", b.LiveMB, b.GC, r.HeapKiBPerConn)
		}
		out = append(out, line)
	}
	out = append(out, fmt.Sprintf("pings answered in the window: %d; server counts %d clients, %d subscriptions; sessions ended: %s; failed: %s",
		r.Pings, r.ServerClients, r.ServerSubs, counts(r.Ended), counts(r.Failed)))
	return out
}

func broadcastSummary(r broadcastResult) []string {
	var out []string
	if s := r.Saturation; s != nil {
		out = append(out, fmt.Sprintf("%s saturation: %.1f publications/s × %d subscribers kept up: %.0f deliveries/s (failed at %.1f/s); server %.2f cores, %.3f ms CPU per 1,000 deliveries (%.0f per server CPU-second); tool %.2f cores",
			r.Target, s.Rate, r.Subscribers, s.DeliveriesPerS, s.FirstFailedRate, s.ServerCPUUtil, s.CPUMsPer1000, s.DeliveriesPerCPU, s.ToolCPUUtil))
		out = append(out, stepLines(s.Steps)...)
	}
	if r.Mode == "saturation" {
		return out
	}
	out = append(out, fmt.Sprintf("%s broadcast (%s): %s, %d subscribers, %.1f publications/s of %d bytes via %s",
		r.Target, r.Mode, r.Channel, r.Subscribers, r.Rate, r.Size, r.Via))
	return append(out, stepSummary(r.stepResult)...)
}

func roomsSummary(r roomsResult) []string {
	var out []string
	if s := r.Saturation; s != nil {
		out = append(out, fmt.Sprintf("%s saturation: %.1f publications/s over %d rooms kept up: %.0f deliveries/s (failed at %.1f/s); server %.2f cores, %.0f deliveries per server CPU-second; tool %.2f cores",
			r.Target, s.Rate, r.Rooms, s.DeliveriesPerS, s.FirstFailedRate, s.ServerCPUUtil, s.DeliveriesPerCPU, s.ToolCPUUtil))
		out = append(out, stepLines(s.Steps)...)
	}
	out = append(out, fmt.Sprintf("%s rooms (%s): %d rooms × %d members (%s…), %.3f publications/s per room = %.1f/s of %d bytes via %s, latency from the %s time",
		r.Target, r.Mode, r.Rooms, r.Members, r.Prefix, r.RoomRate, r.Rate, r.Size, r.Via, r.Stamp))
	out = append(out, stepSummary(r.stepResult)...)
	if l := r.SendLateness; l != nil {
		out = append(out, fmt.Sprintf("the tool wrote publications after their scheduled time by p50 %.2f ms, p99 %.2f, p99.9 %.2f, max %.2f ms",
			l.P50MS, l.P99MS, l.P999MS, l.MaxMS))
	}
	return out
}

func stepLines(steps []stepResult) []string {
	var out []string
	for _, st := range steps {
		out = append(out, fmt.Sprintf("  step %7.1f/s: delivered %5.3f of offered, p50 %7.2f ms, p99 %8.2f ms, server %.2f (waited %.2f), tool %.2f, others %.2f cores, pass %v %s%s",
			st.Rate, st.DeliveredRatio, st.Latency.P50MS, st.Latency.P99MS, st.CPU.ServerUtil, st.CPU.ServerWaitShare, st.CPU.ToolUtil, st.CPU.OtherUtil, st.Pass, st.Why, disturbed(st.Disturbed)))
	}
	return out
}

func stepSummary(r stepResult) []string {
	return []string{
		fmt.Sprintf("delivered %.0f/s of %.0f/s offered (%.3f); publish-to-deliver p50 %.2f ms, p90 %.2f, p99 %.2f, p99.9 %.2f, max %.2f ms",
			r.DeliveredPerSec, r.OfferedPerSec, r.DeliveredRatio, r.Latency.P50MS, r.Latency.P90MS, r.Latency.P99MS, r.Latency.P999MS, r.Latency.MaxMS),
		fmt.Sprintf("published %d, failed %d (%s); %s; backlog at most %d",
			r.Published, r.PublishFailed, counts(r.PublishErrors), ackLine(r.PublishAck), r.PublishBacklog),
		fmt.Sprintf("server %.3f CPU-s in %.1f s = %.2f cores (%.0f %% in the kernel), %.3f ms CPU per 1,000 deliveries (%.0f deliveries per server CPU-second), RSS %.1f MiB; tool %.2f cores in %d processes; rest of the machine %.2f cores; %s",
			r.CPU.ServerCPU, r.CPU.Seconds, r.CPU.ServerUtil, r.CPU.ServerSysPart*100, r.CPUMsPer1000, r.DeliveriesPerCPU, r.CPU.ServerRSSMiB, r.CPU.ToolUtil, r.CPU.ToolProcs, r.CPU.OtherUtil, waitLine(r.CPU)),
		fmt.Sprintf("gaps %d, repeats %d, undelivered %d, drain %.0f ms, sessions ended: %s%s",
			r.Gaps, r.Repeats, r.Undelivered, r.DrainMS, counts(r.Ended), disturbed(r.Disturbed)),
	}
}

// waitLine says how long the server waited for a CPU in the window.
func waitLine(u cpuUse) string {
	return fmt.Sprintf("server waited for a CPU %.2f s (%.0f %% of the window)", u.ServerWaited, u.ServerWaitShare*100)
}

// ackLine describes the publish acknowledgement latency, when it was
// measured (not for members publishing over their own connections).
func ackLine(s latency.Summary) string {
	if s.Count == 0 {
		return "acknowledgement latency not measured"
	}
	return fmt.Sprintf("acknowledged p50 %.2f ms, p99 %.2f ms", s.P50MS, s.P99MS)
}

func stormSummary(r stormResult) []string {
	out := []string{
		fmt.Sprintf("%s connect storm: %d connections (%s), %d handshakes in flight at most: %d connected, %d failed (%s)",
			r.Target, r.Conns, r.Channel, r.Dialing, r.Connected, r.Failed, counts(r.Failures)),
		fmt.Sprintf("%.0f connections/s (first dial to last subscribed: %.2f s); handshake+connect p50 %.1f ms, p99 %.1f ms; +subscribe p50 %.1f ms, p99 %.1f ms, max %.1f ms",
			r.PerSec, r.Seconds, r.Connect.P50MS, r.Connect.P99MS, r.Setup.P50MS, r.Setup.P99MS, r.Setup.MaxMS),
		fmt.Sprintf("server %.3f CPU-s (%.0f %% in the kernel): %.3f ms per connection, %.0f connections per server CPU-second; RSS %.1f MiB; tool %.2f cores; rest of the machine %.2f cores; %s; server counts %d clients",
			r.CPU.ServerCPU, r.CPU.ServerSysPart*100, r.CPUMsPerConn, r.ConnsPerCPU, r.CPU.ServerRSSMiB, r.CPU.ToolUtil, r.CPU.OtherUtil, waitLine(r.CPU), r.ServerClients),
	}
	if r.StartedLateMS > 0 || r.TimedOut {
		out = append(out, fmt.Sprintf("WARNING: started %.0f ms before the CPU sample; timed out: %v", r.StartedLateMS, r.TimedOut))
	}
	return out
}

func reconnectSummary(r reconnectResult) []string {
	back := fmt.Sprintf("all %d back after %.2f s", r.Subs, r.AllBackSeconds)
	if r.TimedOut {
		back = fmt.Sprintf("NOT all back: %d of %d resubscribed", r.Resubscribed, r.Subs)
	}
	return []string{
		fmt.Sprintf("%s reconnect storm: %d subscribers of %s dropped at once (reset), %.0f publications/s all along; %s",
			r.Target, r.Subs, r.Channel, r.Rate, back),
		fmt.Sprintf("drop → resubscribed per client: p50 %.0f ms, p99 %.0f ms, max %.0f ms; recovered: true %d, false %d; epoch changed %d; publications before the subscribe reply %d",
			r.Resub.P50MS, r.Resub.P99MS, r.Resub.MaxMS, r.Recovered, r.NotRecovered, r.EpochChanged, r.Early),
		fmt.Sprintf("lost %d publications (%d clients, at most %d each), duplicated %d (%d clients, at most %d each), %d clients behind the channel's top offset %d after a %d ms drain; undelivered %d of %d answered publishes",
			r.Loss.Lost, r.Loss.WithLoss, r.Loss.MaxLost, r.Loss.Dup, r.Loss.WithDup, r.Loss.MaxDup, r.Loss.BehindFinal, r.FinalOffset, r.DrainMS, r.Undelivered, r.Published),
		fmt.Sprintf("deliveries from the drop on: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms",
			r.Latency.P50MS, r.Latency.P99MS, r.Latency.P999MS, r.Latency.MaxMS),
		fmt.Sprintf("server %.3f CPU-s from the drop to all back (%.2f cores, %.0f %% kernel), RSS %.1f MiB; tool %.2f cores; rest %.2f cores; %s; failures while reconnecting: %s; sessions ended: %s; publish failed %d",
			r.CPU.ServerCPU, r.CPU.ServerUtil, r.CPU.ServerSysPart*100, r.CPU.ServerRSSMiB, r.CPU.ToolUtil, r.CPU.OtherUtil, waitLine(r.CPU), counts(r.Failures), counts(r.Ended), r.PubFailed),
	}
}

// counts formats a count map for people: "none" or "close 3008: 12, io: 1".
func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func disturbed(d bool) string {
	if d {
		return " (DISTURBED: other work used the machine)"
	}
	return ""
}
