package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSummarizeTakesMedians(t *testing.T) {
	in := strings.Join([]string{
		`{"key":"idle/5","server_rss_kib_per_conn":3,"idle":{"server_cpu_util":0.5}}`,
		`# a human line`,
		`{"key":"idle/5","server_rss_kib_per_conn":1,"idle":{"server_cpu_util":0.1}}`,
		`{"key":"broadcast/x","latency":{"p99_ms":7}}`,
		`{"key":"idle/5","server_rss_kib_per_conn":2,"idle":{"server_cpu_util":0.9}}`,
	}, "\n")
	var out bytes.Buffer
	if err := runSummarize(nil, strings.NewReader(in), &out, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %q", out.String())
	}
	var first struct {
		Key    string             `json:"key"`
		Runs   int                `json:"runs"`
		Median map[string]float64 `json:"median"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Key != "idle/5" || first.Runs != 3 || first.Median["server_rss_kib_per_conn"] != 2 || first.Median["idle.server_cpu_util"] != 0.5 {
		t.Fatalf("got %+v", first)
	}
	if median([]float64{4, 1, 3, 2}) != 2.5 {
		t.Fatal("even median")
	}
	out.Reset()
	if err := runSummarize([]string{"--key", "idle/5", "--field", "idle.server_cpu_util"}, strings.NewReader(in), &out, &out); err != nil || out.String() != "0.5\n" {
		t.Fatalf("bare median: %q, %v", out.String(), err)
	}
	if err := runSummarize([]string{"--key", "idle/6", "--field", "x"}, strings.NewReader(in), &out, &out); err == nil {
		t.Fatal("no such key: no error")
	}
}
