package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// runSummarize reads result lines (other lines are skipped) and prints, per
// result key, one JSON line with the median of every numeric field over the
// runs, then a "# " line per key with the headline numbers. With --key and
// --field it prints only that median, bare (for scripts).
func runSummarize(args []string, in io.Reader, out, stderr io.Writer) error {
	fs := flag.NewFlagSet("liveroom-bench summarize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	onlyKey := fs.String("key", "", "print only the median of --field for this result key")
	onlyField := fs.String("field", "", "the flattened field (for example saturation.rate)")
	if err := fs.Parse(args); err != nil || (*onlyKey == "") != (*onlyField == "") {
		return errUsage
	}
	groups := map[string][]map[string]float64{}
	var order []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("summarize: %w", err)
		}
		key, _ := v["key"].(string)
		if key == "" {
			continue
		}
		flat := map[string]float64{}
		flatten("", v, flat)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], flat)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("summarize: %w", err)
	}
	if *onlyKey != "" {
		runs := groups[*onlyKey]
		if len(runs) == 0 {
			return fmt.Errorf("summarize: no results of %q", *onlyKey)
		}
		v, ok := medians(runs)[*onlyField]
		if !ok {
			return fmt.Errorf("summarize: no %s in results of %q", *onlyField, *onlyKey)
		}
		_, err := fmt.Fprintf(out, "%g\n", v)
		return err
	}
	for _, key := range order {
		runs := groups[key]
		med := medians(runs)
		line, err := json.Marshal(map[string]any{"key": key, "runs": len(runs), "median": med})
		if err != nil {
			return fmt.Errorf("summarize: %w", err)
		}
		fmt.Fprintf(out, "%s\n", line)
		fmt.Fprintf(out, "# %s: median of %d runs: %s\n", key, len(runs), headline(med))
	}
	return nil
}

// flatten turns nested objects into dotted keys, keeping numbers only
// (saturation steps are skipped: their count varies between runs).
func flatten(prefix string, v map[string]any, out map[string]float64) {
	for k, x := range v {
		name := prefix + k
		switch x := x.(type) {
		case float64:
			out[name] = x
		case map[string]any:
			if k != "steps" {
				flatten(name+".", x, out)
			}
		}
	}
}

// medians returns the median of each field present in every run.
func medians(runs []map[string]float64) map[string]float64 {
	med := map[string]float64{}
	for name := range runs[0] {
		var vals []float64
		for _, r := range runs {
			if v, ok := r[name]; ok {
				vals = append(vals, v)
			}
		}
		if len(vals) != len(runs) {
			continue
		}
		med[name] = median(vals)
	}
	return med
}

func median(vals []float64) float64 {
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// headline picks the fields worth a human's first look.
func headline(m map[string]float64) string {
	fields := []string{
		"server_rss_kib_per_conn", "go_heap_kib_per_conn", "idle.server_cpu_util",
		"saturation.rate", "saturation.deliveries_per_sec", "saturation.server_cpu_ms_per_1000_deliveries",
		"connections_per_sec", "setup.p99_ms", "failed", "all_resubscribed_seconds", "recovered_true", "recovered_false",
		"loss.lost", "loss.duplicated",
		"rate", "delivered_per_sec", "latency.p50_ms", "latency.p99_ms", "latency.p999_ms",
		"server_cpu_ms_per_1000_deliveries", "deliveries_per_server_cpu_second", "cpu.tool_cpu_util",
	}
	var parts []string
	for _, f := range fields {
		if v, ok := m[f]; ok {
			parts = append(parts, fmt.Sprintf("%s=%g", f, v))
		}
	}
	return strings.Join(parts, " ")
}
