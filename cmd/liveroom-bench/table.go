package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// The table subcommand reads result lines of several targets (and the
// ceiling peer's, as compare.sh wraps them) and prints, per scenario, one
// markdown table: a column per target, the median over its runs with the
// range, and the ratio to liveroom.

// rowSpec is one row of a table: a field of the result lines.
type rowSpec struct {
	label  string
	field  string // flattened name; "sat:" and "fix:" prefixes pick the broadcast mode
	digits int
	ratio  bool // show value / liveroom's
}

var tableRows = map[string][]rowSpec{
	"broadcast": {
		{"saturation: publications/s kept up", "sat:saturation.rate", 1, true},
		{"saturation: deliveries/s", "sat:saturation.deliveries_per_sec", 0, true},
		{"saturation: deliveries per server CPU-second", "sat:saturation.deliveries_per_server_cpu_second", 0, true},
		{"saturation: server cores", "sat:saturation.server_cpu_util", 2, false},
		{"saturation: tool cores", "sat:saturation.tool_cpu_util", 2, false},
		{"saturation: rest of the machine, cores", "sat:saturation.other_cpu_util", 2, false},
		{"saturation: server waited for a CPU, share", "sat:saturation.server_cpu_wait_share", 2, false},
		{"fixed rate: publications/s offered", "fix:rate", 1, false},
		{"fixed rate: delivered / offered", "fix:delivered_ratio", 3, false},
		{"fixed rate: p50 ms", "fix:latency.p50_ms", 1, true},
		{"fixed rate: p99 ms", "fix:latency.p99_ms", 1, true},
		{"fixed rate: p99.9 ms", "fix:latency.p999_ms", 1, true},
		{"fixed rate: max ms", "fix:latency.max_ms", 1, false},
		{"fixed rate: deliveries per server CPU-second", "fix:deliveries_per_server_cpu_second", 0, true},
		{"fixed rate: server cores", "fix:cpu.server_cpu_util", 2, false},
		{"fixed rate: server RSS MiB", "fix:cpu.server_rss_mib", 0, true},
		{"fixed rate: tool cores", "fix:cpu.tool_cpu_util", 2, false},
		{"fixed rate: rest of the machine, cores", "fix:cpu.other_cpu_util", 2, false},
		{"fixed rate: server waited for a CPU, share", "fix:cpu.server_cpu_wait_share", 2, false},
		{"fixed rate: gaps + repeats + undelivered", "fix:errors", 0, false},
	},
	"idle": {
		{"RSS per connection, KiB", "server_rss_kib_per_conn", 2, true},
		{"Go heap per connection, KiB", "go_heap_kib_per_conn", 2, true},
		{"RSS settled, MiB", "server_rss_settled_mib", 1, true},
		{"idle server CPU, ms/s per 1,000 connections", "server_cpu_ms_per_sec_per_1000_conns", 3, true},
		{"pings answered in the window", "pings_answered", 0, false},
		{"connect + subscribe all, s", "connect_seconds", 1, false},
		{"rest of the machine in the idle window, cores", "idle.other_cpu_util", 2, false},
		{"server waited for a CPU in the idle window, share", "idle.server_cpu_wait_share", 3, false},
	},
	"rooms": {
		{"publications/s (all rooms)", "rate", 1, false},
		{"deliveries/s offered", "offered_deliveries_per_sec", 0, false},
		{"delivered / offered", "delivered_ratio", 3, false},
		{"p50 ms", "latency.p50_ms", 1, true},
		{"p99 ms", "latency.p99_ms", 1, true},
		{"p99.9 ms", "latency.p999_ms", 1, true},
		{"tool wrote publications late by, p50 ms", "send_lateness.p50_ms", 2, false},
		{"… p99 ms", "send_lateness.p99_ms", 2, false},
		{"deliveries per server CPU-second", "deliveries_per_server_cpu_second", 0, true},
		{"server cores", "cpu.server_cpu_util", 2, true},
		{"tool cores", "cpu.tool_cpu_util", 2, false},
		{"rest of the machine, cores", "cpu.other_cpu_util", 2, false},
		{"server waited for a CPU, share", "cpu.server_cpu_wait_share", 2, false},
		{"publish failed", "publish_failed", 0, false},
		{"gaps + repeats + undelivered", "errors", 0, false},
	},
	"connect-storm": {
		{"connected", "connected", 0, false},
		{"failed", "failed", 0, false},
		{"connections/s", "connections_per_sec", 0, true},
		{"handshake + connect p50 ms", "connect.p50_ms", 1, true},
		{"handshake + connect p99 ms", "connect.p99_ms", 1, true},
		{"+ subscribe p50 ms", "setup.p50_ms", 1, true},
		{"+ subscribe p99 ms", "setup.p99_ms", 1, true},
		{"server CPU ms per connection", "server_cpu_ms_per_conn", 3, true},
		{"connections per server CPU-second", "conns_per_server_cpu_second", 0, true},
		{"rest of the machine, cores", "cpu.other_cpu_util", 2, false},
		{"server waited for a CPU, share", "cpu.server_cpu_wait_share", 2, false},
	},
	"reconnect-storm": {
		{"all resubscribed after, s", "all_resubscribed_seconds", 2, true},
		{"drop → resubscribed p50 ms", "resubscribe.p50_ms", 0, true},
		{"drop → resubscribed p99 ms", "resubscribe.p99_ms", 0, true},
		{"recovered: true", "recovered_true", 0, false},
		{"recovered: false", "recovered_false", 0, false},
		{"publications lost (all clients)", "loss.lost", 0, false},
		{"clients with a loss", "loss.clients_with_loss", 0, false},
		{"publications duplicated", "loss.duplicated", 0, false},
		{"delivery p99 from the drop on, ms", "latency.p99_ms", 0, true},
		{"server CPU-s, drop → all back", "cpu.server_cpu_seconds", 2, true},
		{"failures while reconnecting", "failures_total", 0, false},
		{"rest of the machine, cores", "cpu.other_cpu_util", 2, false},
		{"server waited for a CPU, share", "cpu.server_cpu_wait_share", 2, false},
	},
}

// columnOrder puts known targets first, the rest in order of appearance.
var columnOrder = []string{"liveroom", "liveroom-protobuf", "centrifuge", "centrifuge-protobuf", "socketio", "ceiling"}

func runTable(in io.Reader, out io.Writer) error {
	// scenario → column → field → one value per run
	data := map[string]map[string]map[string][]float64{}
	seen := map[string][]string{}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("table: %w", err)
		}
		scenario, column, flat := tableFields(v)
		if scenario == "" {
			continue
		}
		if data[scenario] == nil {
			data[scenario] = map[string]map[string][]float64{}
		}
		if data[scenario][column] == nil {
			data[scenario][column] = map[string][]float64{}
			seen[scenario] = append(seen[scenario], column)
		}
		for k, x := range flat {
			data[scenario][column][k] = append(data[scenario][column][k], x)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	for _, scenario := range []string{"idle", "broadcast", "rooms", "connect-storm", "reconnect-storm"} {
		if cols := data[scenario]; cols != nil {
			writeTable(out, scenario, orderColumns(seen[scenario]), cols)
		}
	}
	return nil
}

// tableFields flattens one result line; the ceiling's wrapped serve and
// client lines become broadcast saturation fields.
func tableFields(v map[string]any) (scenario, column string, flat map[string]float64) {
	scenario, _ = v["scenario"].(string)
	column, _ = v["target"].(string)
	if label, _ := v["label"].(string); label != "" {
		column += " (" + label + ")"
	}
	flat = map[string]float64{}
	all := map[string]float64{}
	flatten("", v, all)
	switch scenario {
	case "ceiling":
		// Delivered rate: every frame the client counted, from the serve's
		// first write to the client's last frame (one clock).
		start, done := all["serve.start_unix_ns"], all["client.done_unix_ns"]
		if done > start {
			flat["sat:saturation.deliveries_per_sec"] = all["client.frames"] / ((done - start) / 1e9)
		}
		flat["sat:saturation.deliveries_per_server_cpu_second"] = all["serve.frames_per_cpu_second"]
		flat["sat:saturation.server_cpu_util"] = all["serve.cpu_util"]
		if s := all["client.seconds"]; s > 0 {
			flat["sat:saturation.tool_cpu_util"] = (all["client.cpu_user_seconds"] + all["client.cpu_sys_seconds"]) / s
		}
		return "broadcast", column, flat
	case "floor":
		// The paced ceiling at a liveroom run's rate: its client's latency
		// and the serve's cost become fixed-rate broadcast fields.
		for _, k := range []string{"p50_ms", "p99_ms", "p999_ms", "max_ms"} {
			flat["fix:latency."+k] = all["client.latency."+k]
		}
		flat["fix:rate"] = all["serve.rate"]
		if want := all["serve.publications"] * all["serve.conns"]; want > 0 {
			flat["fix:delivered_ratio"] = all["client.frames"] / want
		}
		if cpu := all["serve.cpu_user_seconds"] + all["serve.cpu_sys_seconds"]; cpu > 0 {
			flat["fix:deliveries_per_server_cpu_second"] = all["serve.frames"] / cpu
		}
		flat["fix:cpu.server_cpu_util"] = all["serve.cpu_util"]
		if s := all["serve.seconds"]; s > 0 {
			flat["fix:cpu.tool_cpu_util"] = (all["client.cpu_user_seconds"] + all["client.cpu_sys_seconds"]) / s
		}
		return "broadcast", column, flat
	case "broadcast":
		prefix := "fix:"
		if mode, _ := v["mode"].(string); mode == "saturation" {
			prefix = "sat:"
		}
		all["errors"] = all["gaps"] + all["repeats"] + all["undelivered"]
		for k, x := range all {
			flat[prefix+k] = x
		}
		return scenario, column, flat
	case "rooms":
		all["errors"] = all["gaps"] + all["repeats"] + all["undelivered"]
	case "reconnect-storm":
		if f, ok := v["failures"].(map[string]any); ok {
			for _, x := range f {
				if n, ok := x.(float64); ok {
					all["failures_total"] += n
				}
			}
		}
	}
	return scenario, column, all
}

func orderColumns(cols []string) []string {
	rank := func(c string) int {
		base, _, _ := strings.Cut(c, " (")
		if i := slices.Index(columnOrder, base); i >= 0 {
			return i
		}
		return len(columnOrder)
	}
	out := slices.Clone(cols)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

func writeTable(out io.Writer, scenario string, cols []string, data map[string]map[string][]float64) {
	fmt.Fprintf(out, "\n#### %s\n\nCells: the median over the runs (lowest–highest); **×r** is that median ÷ liveroom's.\n\n| |", scenario)
	for _, c := range cols {
		fmt.Fprintf(out, " %s |", c)
	}
	fmt.Fprint(out, "\n| --- |")
	for range cols {
		fmt.Fprint(out, " --- |")
	}
	fmt.Fprint(out, "\n| runs |")
	for _, c := range cols {
		// Broadcast columns hold search runs and fixed-rate runs.
		var sat, fix, runs int
		for k, vals := range data[c] {
			switch {
			case strings.HasPrefix(k, "sat:"):
				sat = max(sat, len(vals))
			case strings.HasPrefix(k, "fix:"):
				fix = max(fix, len(vals))
			default:
				runs = max(runs, len(vals))
			}
		}
		switch {
		case scenario != "broadcast":
			fmt.Fprintf(out, " %d |", runs)
		case sat > 0 && fix > 0:
			fmt.Fprintf(out, " %d search, %d fixed |", sat, fix)
		case sat > 0:
			fmt.Fprintf(out, " %d search |", sat)
		default:
			fmt.Fprintf(out, " %d fixed |", fix)
		}
	}
	fmt.Fprintln(out)
	for _, r := range tableRows[scenario] {
		var cells []string
		any := false
		base := math.NaN()
		if vals := data["liveroom"][r.field]; len(vals) > 0 {
			base = median(vals)
		}
		for _, c := range cols {
			vals := data[c][r.field]
			if len(vals) == 0 {
				cells = append(cells, "—")
				continue
			}
			any = true
			cells = append(cells, cell(vals, r, base, c == "liveroom"))
		}
		if any {
			fmt.Fprintf(out, "| %s | %s |\n", r.label, strings.Join(cells, " | "))
		}
	}
}

// cell is "median (min–max)", with "× ratio" to liveroom's median.
func cell(vals []float64, r rowSpec, base float64, isBase bool) string {
	m := median(vals)
	s := num(m, r.digits)
	if lo, hi := slices.Min(vals), slices.Max(vals); len(vals) > 1 && lo != hi {
		s += fmt.Sprintf(" (%s–%s)", num(lo, r.digits), num(hi, r.digits))
	}
	if r.ratio && !isBase && base > 0 && !math.IsNaN(base) {
		s += fmt.Sprintf(" **×%.2f**", m/base)
	}
	return s
}

// num formats with thousands separators.
func num(v float64, digits int) string {
	s := fmt.Sprintf("%.*f", digits, v)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}
