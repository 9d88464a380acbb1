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
quiet_busy=${QUIET_BUSY:-0.5}
quiet_wait=${QUIET_WAIT:-600}

work=$(mktemp -d -t liveroom-bench.XXXXXX)
results=$work/results.jsonl
server_pid=""

cleanup() {
	stop_server
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

echo "== building into $work" >&2
(cd "$root" && go build -o "$work/liveroom" ./cmd/liveroom && go build -o "$work/liveroom-bench" ./cmd/liveroom-bench)

# Limits raised so that the tool, not the node's admission control, sets
# the pace; the built-in room namespace (history 1,000 / 24 h, recovery,
# presence, join/leave) is used as it is.
cat >"$work/liveroom.toml" <<'TOML'
[client]
max_connections_per_ip = 0
max_connections_per_user = 0
accept_rate = 0
queue_max_bytes = "16MiB"
commands_per_second = 0
TOML

# start_server NAME starts a fresh server; sets server_pid, server_url and
# server_dir.
start_server() {
	server_dir=$work/$1
	mkdir -p "$server_dir"
	GODEBUG=gctrace=1 GOMAXPROCS=1 taskset -c 0 "$work/liveroom" --addr 127.0.0.1:0 \
		--data-dir "$server_dir/data" --config "$work/liveroom.toml" --demo=false \
		>"$server_dir/stdout" 2>"$server_dir/stderr" &
	server_pid=$!
	for _ in $(seq 100); do
		server_url=$(sed -n 's/^listening on //p' "$server_dir/stdout")
		[[ -n $server_url ]] && return 0
		sleep 0.1
	done
	echo "run-core.sh: server did not start; its log:" >&2
	cat "$server_dir/stderr" >&2
	exit 1
}

stop_server() {
	if [[ -n $server_pid ]]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}

# busy_cores prints how many cores the machine kept busy over 3 seconds.
busy_cores() {
	local a b
	a=$(head -1 /proc/stat)
	sleep 3
	b=$(head -1 /proc/stat)
	awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x); split(b, y); busy = 0
		for (i = 2; i <= 9; i++) if (i != 5 && i != 6) busy += y[i] - x[i]
		printf "%.2f\n", busy / hz / 3
	}'
}

# wait_quiet waits (up to QUIET_WAIT seconds) until the machine is quiet
# enough to measure.
wait_quiet() {
	local start=$SECONDS busy
	while :; do
		busy=$(busy_cores)
		if awk -v b="$busy" -v q="$quiet_busy" 'BEGIN { exit !(b < q) }'; then
			echo "== machine busy $busy cores: starting" >&2
			return
		fi
		if ((SECONDS - start >= quiet_wait)); then
			echo "== machine still busy ($busy cores) after ${quiet_wait}s: starting anyway" >&2
			return
		fi
		sleep 10
	done
}

# bench SCENARIO FLAGS… runs the tool against the current server.
bench() {
	local scenario=$1
	shift
	echo "== $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg) — $scenario $*" >&2
	GOMAXPROCS=1 taskset -c 1 "$work/liveroom-bench" "$scenario" "$@" \
		--url "$server_url" --data-dir "$server_dir/data" \
		--server-pid "$server_pid" --server-log "$server_dir/stderr" | tee -a "$results"
}

for run in $(seq "$runs"); do
	if [[ $only == all || $only == idle ]]; then
		for n in $idle_conns; do
			wait_quiet
			start_server "idle-$n-$run"
			bench idle --conns "$n" --heap-wait "$heap_wait"
			stop_server
		done
	fi
	if [[ $only == all || $only == broadcast ]]; then
		wait_quiet
		start_server "broadcast-$run"
		bench broadcast --subs "$subs" --size "$size" --find-saturation --rate-start 5
		stop_server
	fi
done

echo "== medians of $runs runs" >&2
"$work/liveroom-bench" summarize <"$results"
