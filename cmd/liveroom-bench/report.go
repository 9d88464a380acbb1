package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
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
		fmt.Sprintf("idle: %d connections, each subscribed to its own personal channel, connected in %.1f s", r.Conns, r.ConnectSeconds),
	}
	if r.SettledMiB > 0 {
		out = append(out, fmt.Sprintf("server RSS %.1f MiB before, %.1f MiB settled, %.1f MiB at the end: %.2f KiB per connection",
			r.BaselineMiB, r.SettledMiB, r.EndMiB, r.KiBPerConn))
		out = append(out, fmt.Sprintf("server CPU while idle: %.3f s over %.0f s (%.2f %% of a core; %.3f ms/s per 1,000 connections); rest of the machine %.2f cores",
			r.Idle.ServerCPU, r.Idle.Seconds, r.Idle.ServerUtil*100, r.CPUMsPerSec1K, r.Idle.OtherUtil))
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
	out = append(out, fmt.Sprintf("pings answered in the window: %d; server counts %d clients, %d subscriptions; sessions ended: %s",
		r.Pings, r.ServerClients, r.ServerSubs, counts(r.Ended)))
	return out
}

func broadcastSummary(r broadcastResult) []string {
	var out []string
	if s := r.Saturation; s != nil {
		out = append(out, fmt.Sprintf("saturation: %.1f publications/s × %d subscribers kept up: %.0f deliveries/s (failed at %.1f/s); server %.2f cores, %.3f ms CPU per 1,000 deliveries; tool %.2f cores",
			s.Rate, r.Subscribers, s.DeliveriesPerS, s.FirstFailedRate, s.ServerCPUUtil, s.CPUMsPer1000, s.ToolCPUUtil))
		for _, st := range s.Steps {
			out = append(out, fmt.Sprintf("  step %7.1f/s: delivered %5.3f of offered, p50 %7.2f ms, p99 %8.2f ms, server %.2f, tool %.2f, others %.2f cores, pass %v %s%s",
				st.Rate, st.DeliveredRatio, st.Latency.P50MS, st.Latency.P99MS, st.CPU.ServerUtil, st.CPU.ToolUtil, st.CPU.OtherUtil, st.Pass, st.Why, disturbed(st.Disturbed)))
		}
	}
	out = append(out,
		fmt.Sprintf("broadcast (%s): %s, %d subscribers, %.1f publications/s of %d bytes via %s",
			r.Mode, r.Channel, r.Subscribers, r.Rate, r.Size, r.Via),
		fmt.Sprintf("delivered %.0f/s of %.0f/s offered (%.3f); publish-to-deliver p50 %.2f ms, p90 %.2f, p99 %.2f, p99.9 %.2f, max %.2f ms",
			r.DeliveredPerSec, r.OfferedPerSec, r.DeliveredRatio, r.Latency.P50MS, r.Latency.P90MS, r.Latency.P99MS, r.Latency.P999MS, r.Latency.MaxMS),
		fmt.Sprintf("publish acknowledged: p50 %.2f ms, p99 %.2f ms; failed %d; backlog at most %d",
			r.PublishAck.P50MS, r.PublishAck.P99MS, r.PublishFailed, r.PublishBacklog),
		fmt.Sprintf("server %.2f cores (%.0f %% in the kernel), %.3f ms CPU per 1,000 deliveries (%.0f deliveries per CPU-second), RSS %.1f MiB; tool %.2f cores; rest of the machine %.2f cores",
			r.CPU.ServerUtil, r.CPU.ServerSysPart*100, r.CPUMsPer1000, r.DeliveriesPerCPU, r.CPU.ServerRSSMiB, r.CPU.ToolUtil, r.CPU.OtherUtil),
		fmt.Sprintf("gaps %d, repeats %d, undelivered %d, drain %.0f ms, sessions ended: %s%s",
			r.Gaps, r.Repeats, r.Undelivered, r.DrainMS, counts(r.Ended), disturbed(r.Disturbed)),
	)
	return out
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
