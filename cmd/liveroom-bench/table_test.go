package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTableMediansAndRatios(t *testing.T) {
	in := strings.Join([]string{
		`{"scenario":"broadcast","target":"liveroom","mode":"saturation","saturation":{"rate":100,"deliveries_per_sec":500000}}`,
		`{"scenario":"broadcast","target":"liveroom","mode":"saturation","saturation":{"rate":300,"deliveries_per_sec":1500000}}`,
		`{"scenario":"broadcast","target":"liveroom","mode":"saturation","saturation":{"rate":200,"deliveries_per_sec":1000000}}`,
		`{"scenario":"broadcast","target":"centrifuge","mode":"saturation","saturation":{"rate":400,"deliveries_per_sec":2000000}}`,
		`{"scenario":"broadcast","target":"liveroom","mode":"fixed","rate":100,"latency":{"p99_ms":20},"gaps":1,"repeats":0,"undelivered":2}`,
		`{"scenario":"broadcast","target":"liveroom","label":"history off","mode":"fixed","rate":100,"latency":{"p99_ms":10}}`,
		`{"scenario":"ceiling","target":"ceiling","label":"coalesce=true","serve":{"start_unix_ns":1000000000,"frames_per_cpu_second":9000000,"cpu_util":1},"client":{"frames":4000000,"done_unix_ns":3000000000}}`,
		`{"scenario":"floor","target":"ceiling","label":"coalesce=false","serve":{"rate":100,"publications":3000,"conns":10,"frames":30000,"seconds":30,"cpu_user_seconds":1,"cpu_sys_seconds":2,"cpu_util":0.1},"client":{"frames":30000,"cpu_user_seconds":3,"cpu_sys_seconds":3,"latency":{"p50_ms":1,"p99_ms":4,"p999_ms":8,"max_ms":9}}}`,
		`# a summary line`,
	}, "\n")
	var out bytes.Buffer
	if err := runTable(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log(got)
	for _, want := range []string{
		"| | liveroom | liveroom (history off) | centrifuge | ceiling (coalesce=true) | ceiling (coalesce=false) |",
		"| runs | 3 search, 1 fixed | 1 fixed | 1 search | 1 search | 1 fixed |",
		"| saturation: publications/s kept up | 200.0 (100.0–300.0) | — | 400.0 **×2.00** | — | — |",
		"| saturation: deliveries/s | 1,000,000 (500,000–1,500,000) | — | 2,000,000 **×2.00** | 2,000,000 **×2.00** | — |",
		"| fixed rate: p99 ms | 20.0 | 10.0 **×0.50** | — | — | 4.0 **×0.20** |",
		"| fixed rate: p99.9 ms | — | — | — | — | 8.0 |",
		"| fixed rate: delivered / offered | — | — | — | — | 1.000 |",
		"| fixed rate: deliveries per server CPU-second | — | — | — | — | 10,000 |",
		"| fixed rate: tool cores | — | — | — | — | 0.20 |",
		"| fixed rate: gaps + repeats + undelivered | 3 | 0 | — | — | — |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
}
