#!/usr/bin/env bash
# Runs the core benchmarks quoted in docs/benchmarks.md: idle connections at
# 5,000 and 15,000, and one channel with 5,000 subscribers (saturation search,
# then half of saturation), RUNS times each (3 by default), each run against
# a fresh server. The server runs pinned to CPU 0 with GOMAXPROCS=1, the tool
# pinned to CPU 1. Prints every result, then the medians.
#
#   cmd/liveroom-bench/run-core.sh              # everything, 3 runs
#   RUNS=1 ONLY=idle cmd/liveroom-bench/run-core.sh
#
# Environment: RUNS (3), ONLY (idle | broadcast | all), IDLE_CONNS ("5000
# 15000"), SUBS (5000), SIZE (100), HEAP_WAIT (130s: wait for the server's
# periodic GC so the Go heap is read after all connections are up),
# QUIET_BUSY (0.5: before each run, wait until the rest of the machine uses
# less than this many cores…), QUIET_WAIT (600: …but at most this many
# seconds), KEEP=1 keeps the work directory (server logs, results).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${RUNS:-3}
only=${ONLY:-all}
idle_conns=${IDLE_CONNS:-5000 15000}
subs=${SUBS:-5000}
size=${SIZE:-100}
heap_wait=${HEAP_WAIT:-130s}

work=$(mktemp -d -t liveroom-bench.XXXXXX)
results=$work/results.jsonl
# shellcheck source=lib.sh
source "$here/lib.sh"

cleanup() {
	stop_target
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

need=$((subs > ${idle_conns##* } ? subs : ${idle_conns##* }))
if (($(ulimit -n) < need + 1000)); then
	echo "run-core.sh: open file limit $(ulimit -n) is too low for $need connections" >&2
	exit 1
fi

build_all
liveroom_config "$work/liveroom.toml"

for run in $(seq "$runs"); do
	if [[ $only == all || $only == idle ]]; then
		for n in $idle_conns; do
			wait_quiet
			start_target liveroom "idle-$n-$run"
			bench idle --conns "$n" --heap-wait "$heap_wait"
			stop_target
		done
	fi
	if [[ $only == all || $only == broadcast ]]; then
		wait_quiet
		start_target liveroom "broadcast-$run"
		# The first benchmark page's search bound (the tool's default is now
		# 1 s, see decision 0015): p99 above 250 ms fails a step.
		bench broadcast --subs "$subs" --size "$size" --find-saturation --rate-start 5 --p99-bound 250ms
		stop_target
	fi
done

echo "== medians of $runs runs" >&2
"$work/liveroom-bench" summarize <"$results"
