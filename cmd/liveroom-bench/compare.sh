#!/usr/bin/env bash
# Runs one scenario against liveroom and the peers in bench/peers, RUNS
# times each (targets interleaved, a fresh server for every run, each pinned
# to CPU 0 with the tool on CPU 1), and writes a side-by-side markdown table:
# medians with their range, ratios to liveroom, per server CPU-second.
#
#   cmd/liveroom-bench/compare.sh broadcast   # liveroom, centrifuge, socketio: saturation search;
#                                             # then all at half of liveroom's saturation; ceiling
#   cmd/liveroom-bench/compare.sh idle        # 15,000 idle connections
#   cmd/liveroom-bench/compare.sh rooms       # 900 rooms × 20 members chatting
#   cmd/liveroom-bench/compare.sh connect     # connect storm
#   cmd/liveroom-bench/compare.sh reconnect   # reconnect storm with recovery (channel feed:storm)
#   cmd/liveroom-bench/compare.sh bsearch     # broadcast saturation search only, every target
#   cmd/liveroom-bench/compare.sh bfixed      # broadcast at RATE (8) publications/s only, every target
#   cmd/liveroom-bench/compare.sh ceiling     # the write ceiling only, one frame per write and coalescing
#   cmd/liveroom-bench/compare.sh floor       # liveroom broadcast at RATE (146.7) and the paced ceiling at the
#                                             # same rate, interleaved: the latency floor of the machine
#   cmd/liveroom-bench/compare.sh nohist      # liveroom broadcast, history on and off
#   cmd/liveroom-bench/compare.sh hsearch     # liveroom saturation search, history on and off (interleaved)
#   cmd/liveroom-bench/compare.sh cluster3    # 3 × 15,000 idle connections on a 3-node liveroom cluster
#
# Environment: RUNS (3), TARGETS (per scenario, e.g. "liveroom centrifuge"),
# OUT (markdown file; default: next to the results), RESULTS (result lines
# are also appended here), SUBS (5000), SIZE (100), CONNS (15000),
# ROOMS (900: 18,000 connections stay under a server's 20,000 open files), MEMBERS (20), MAX_OTHERS (1), DISTURBED_RETRIES (2), ROOM_RATE (1 publication/s per room),
# CLUSTER_CONNS (15000 per node), STORM_SUBS (15000), STORM_RATE (10/s), STORM_CONNS (15000), PROCS (2: tool
# processes for the 15,000+ scenarios), CEILING_COUNT (400 frames per
# connection), CEILING_SIZE (155 bytes: liveroom's push of a 100-byte
# publication), RATE (bfixed: publications/s), HEAP_WAIT (130s: idle, how
# long to wait for a collection after all connected), QUIET_BUSY,
# QUIET_WAIT, KEEP=1, LIVEROOM_DEBUG_ADDR, LIVEROOM_GOMAXPROCS (default: the
# runtime's, 1 for the pinned CPU, like the peers),
# STAMP (rooms: intended or sent, see the tool's --stamp), LIVEROOM_GOGC (the collector's GOGC for liveroom only; default 100),
# LATENCY_LOG (a directory: every delivery of every run's measurement
# windows is written there, see the tool's --latency-log).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
scenario=${1:-}
scenarios="broadcast bsearch bfixed ceiling floor nohist hsearch idle rooms connect reconnect cluster3"
if [[ " $scenarios " != *" $scenario "* ]]; then
	echo "usage: compare.sh ${scenarios// /|}" >&2
	exit 2
fi
runs=${RUNS:-3}
subs=${SUBS:-5000}
size=${SIZE:-100}
procs=${PROCS:-2}

work=$(mktemp -d -t liveroom-compare.XXXXXX)
results=$work/results.jsonl
out=${OUT:-$work/compare.md}
# shellcheck source=lib.sh
source "$here/lib.sh"

cluster_pids=()

cleanup() {
	stop_target
	for pid in "${cluster_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	if [[ -n ${ceiling_pid:-} ]]; then
		kill -TERM "$ceiling_pid" 2>/dev/null || true
		wait "$ceiling_pid" 2>/dev/null || true
	fi
	if [[ -n ${RESULTS:-} && -s $results ]]; then
		cat "$results" >>"$RESULTS"
	fi
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "work directory kept: $work" >&2
	elif [[ -z ${OUT:-} ]]; then
		echo "work directory kept for the table: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# each_run TARGETS… FUNCTION ARGS…: for every run, for every target, a fresh
# server of that kind, a quiet machine, FUNCTION KIND RUN ARGS…
each_run() {
	local -a targets=()
	while [[ $1 != -- ]]; do
		targets+=("$1")
		shift
	done
	shift
	local fn=$1
	shift
	for run in $(seq "$runs"); do
		for kind in "${targets[@]}"; do
			wait_quiet
			"$fn" "$kind" "$run" "$@"
		done
	done
}

# one KIND RUN NAME CONFIG SCENARIO FLAGS…: one run against a fresh server.
one() {
	local kind=$1 run=$2 name=$3 config=$4
	shift 4
	start_target "$kind" "$name-$kind-$run" "$config"
	bench "$@" --target "$kind" || echo "== run failed: $kind $*" >&2
	stop_target
}

# ceiling_run MODE RUN [RATE]: the ceiling, one frame per write (MODE false)
# or coalescing (true); with RATE, paced at RATE publications/s for 30 s
# with latency read from the frames' stamps (scenario "floor").
ceiling_run() {
	local mode=$1 run=$2 rate=${3:-} count=${CEILING_COUNT:-400} fsize=${CEILING_SIZE:-155}
	local dir=$work/ceiling-$mode-$run${rate:+-paced} scenario=ceiling
	local -a sflags=() cflags=()
	if [[ -n $rate ]]; then
		count=$(awk -v r="$rate" 'BEGIN { printf "%d", r * 30 + 0.5 }')
		sflags=(-rate "$rate" -duration 30s)
		cflags=(-latency)
		scenario=floor
	fi
	mkdir -p "$dir"
	GOMAXPROCS=1 taskset -c 0 "$work/ceiling" serve -addr 127.0.0.1:0 -conns "$subs" -count "$count" \
		-size "$fsize" -coalesce="$mode" "${sflags[@]}" >"$dir/serve.out" 2>"$dir/serve.err" &
	ceiling_pid=$!
	local url=""
	for _ in $(seq 100); do
		url=$(sed -n 's/^listening on //p' "$dir/serve.out")
		[[ -n $url ]] && break
		sleep 0.1
	done
	GOMAXPROCS=1 taskset -c 1 "$work/ceiling" client -url "$url" -conns "$subs" -count "$count" -size "$fsize" \
		"${cflags[@]}" >"$dir/client.out" 2>"$dir/client.err" || echo "== ceiling client failed" >&2
	wait "$ceiling_pid" || echo "== ceiling serve failed" >&2
	ceiling_pid=""
	printf '{"scenario":"%s","target":"ceiling","label":"coalesce=%s","serve":%s,"client":%s}\n' \
		"$scenario" "$mode" "$(grep '^{' "$dir/serve.out" | tail -1)" "$(grep '^{' "$dir/client.out" | tail -1)" | tee -a "$results"
}

# cluster3_run RUN: three liveroom nodes clustered over loopback routes
# (streams replicated 3 times), all pinned to CPU 0, each holding
# CLUSTER_CONNS idle connections from its own tool process (pinned to CPU 1,
# its own source addresses), started together.
cluster3_run() {
	local run=$1 n=${CLUSTER_CONNS:-15000} i
	local -a pids=() urls=() dirs=() tools=()
	local routes="nats-route://127.0.0.1:17401,nats-route://127.0.0.1:17402,nats-route://127.0.0.1:17403"
	for i in 1 2 3; do
		local dir=$work/cluster3-$run/node$i
		mkdir -p "$dir"
		env ${LIVEROOM_GOMAXPROCS:+GOMAXPROCS=$LIVEROOM_GOMAXPROCS} GODEBUG=gctrace=1 taskset -c 0 "$work/liveroom" --addr 127.0.0.1:0 \
			--data-dir "$dir/data" --config "$work/liveroom.toml" --demo=false \
			--node-name "node$i" --cluster-listen "127.0.0.1:1740$i" --routes "$routes" \
			>"$dir/stdout" 2>"$dir/stderr" &
		pids+=($!)
		dirs+=("$dir")
		cluster_pids+=($!)
	done
	for i in 0 1 2; do
		local url=""
		for _ in $(seq 600); do
			url=$(sed -n 's/^listening on //p' "${dirs[$i]}/stdout")
			[[ -n $url ]] && break
			sleep 0.1
		done
		if [[ -z $url ]]; then
			echo "== cluster node $((i + 1)) did not start; its log:" >&2
			tail -20 "${dirs[$i]}/stderr" >&2
			return 1
		fi
		urls+=("$url")
	done
	echo "== $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg) — cluster3 run $run: 3 × $n idle" >&2
	for i in 0 1 2; do
		GOMAXPROCS=1 taskset -c 1 "$work/liveroom-bench" idle --conns "$n" --connect-rate 1000 \
			--heap-wait "${HEAP_WAIT:-130s}" --label "node $((i + 1)) of 3" \
			--url "${urls[$i]}" --data-dir "${dirs[$i]}/data" --server-pid "${pids[$i]}" \
			--server-log "${dirs[$i]}/stderr" >"${dirs[$i]}/result.txt" &
		tools+=($!)
	done
	local failed=0
	for i in 0 1 2; do
		wait "${tools[$i]}" || failed=1
		cat "${dirs[$i]}/result.txt"
		grep '^{' "${dirs[$i]}/result.txt" >>"$results" || true
	done
	for i in 0 1 2; do
		kill -TERM "${pids[$i]}" 2>/dev/null || true
	done
	for i in 0 1 2; do
		wait "${pids[$i]}" 2>/dev/null || true
	done
	cluster_pids=()
	return $failed
}

# median_of KEY FIELD prints the median of FIELD over the results of KEY.
median_of() { "$work/liveroom-bench" summarize --key "$1" --field "$2" <"$results"; }

build_all
liveroom_config "$work/liveroom.toml"
liveroom_config "$work/liveroom-nohist.toml" '
[[namespaces]]
name = "nohist"
history_size = 0
presence = true
join_leave = true
subscribe = "authenticated"
publish = "authenticated"'

# Publishing scenarios retake a window in which the rest of the machine
# used more than MAX_OTHERS cores (at most DISTURBED_RETRIES times): on a
# shared machine the interleaved runs and the per-CPU-second figures carry
# the comparison, and every window records how busy the machine was.
load_flags=(--max-others "${MAX_OTHERS:-1}" --disturbed-retries "${DISTURBED_RETRIES:-2}")

started=$(date -u +%Y-%m-%dT%H:%MZ)
case $scenario in
broadcast)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge socketio}"
	each_run "${targets[@]}" -- one bsat "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
		--find-saturation --search-only --rate-start 5 "${load_flags[@]}"
	half=$(awk -v r="$(median_of "broadcast/liveroom/room:bench/saturation/$subs" saturation.rate)" 'BEGIN { printf "%.1f", r / 2 }')
	echo "== half of liveroom's saturation: $half publications/s" >&2
	each_run "${targets[@]}" -- one bfix "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
		--rate "$half" --duration 30s "${load_flags[@]}"
	for run in $(seq "$runs"); do
		for mode in false true; do
			wait_quiet
			ceiling_run "$mode" "$run"
		done
	done
	;;
bsearch)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge socketio}"
	each_run "${targets[@]}" -- one bsat "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
		--find-saturation --search-only --rate-start 5 "${load_flags[@]}"
	;;
ceiling)
	for run in $(seq "$runs"); do
		for mode in false true; do
			wait_quiet
			ceiling_run "$mode" "$run"
		done
	done
	;;
floor)
	for run in $(seq "$runs"); do
		wait_quiet
		one liveroom "$run" bfix "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
			--rate "${RATE:-146.7}" --duration 30s "${load_flags[@]}"
		for mode in false true; do
			wait_quiet
			ceiling_run "$mode" "$run" "${RATE:-146.7}"
		done
	done
	;;
bfixed)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge socketio}"
	each_run "${targets[@]}" -- one bfix "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
		--rate "${RATE:-8}" --duration 30s "${load_flags[@]}"
	;;
nohist)
	each_run liveroom -- one hsat "$work/liveroom-nohist.toml" broadcast --subs "$subs" --size "$size" \
		--find-saturation --search-only --rate-start 5 "${load_flags[@]}" --channel nohist:bench --label "history off"
	each_run liveroom -- one hsat "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
		--find-saturation --search-only --rate-start 5 "${load_flags[@]}"
	half=$(awk -v r="$(median_of "broadcast/liveroom/room:bench/saturation/$subs" saturation.rate)" 'BEGIN { printf "%.1f", r / 2 }')
	each_run liveroom -- one hfix "$work/liveroom-nohist.toml" broadcast --subs "$subs" --size "$size" \
		--rate "$half" --duration 30s "${load_flags[@]}" --channel nohist:bench --label "history off"
	each_run liveroom -- one hfix "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
		--rate "$half" --duration 30s "${load_flags[@]}"
	;;
hsearch)
	for run in $(seq "$runs"); do
		wait_quiet
		one liveroom "$run" hsat-off "$work/liveroom-nohist.toml" broadcast --subs "$subs" --size "$size" \
			--find-saturation --search-only --rate-start 5 "${load_flags[@]}" --channel nohist:bench --label "history off"
		wait_quiet
		one liveroom "$run" hsat-on "$work/liveroom.toml" broadcast --subs "$subs" --size "$size" \
			--find-saturation --search-only --rate-start 5 "${load_flags[@]}"
	done
	;;
idle)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge socketio}"
	each_run "${targets[@]}" -- one idle "$work/liveroom.toml" idle --conns "${CONNS:-15000}" --heap-wait "${HEAP_WAIT:-130s}"
	;;
rooms)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge socketio}"
	each_run "${targets[@]}" -- one rooms "$work/liveroom.toml" rooms --rooms "${ROOMS:-900}" \
		--members "${MEMBERS:-20}" --rate "${ROOM_RATE:-1}" --stamp "${STAMP:-intended}" --procs "$procs" --duration 30s "${load_flags[@]}"
	;;
connect)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge socketio}"
	each_run "${targets[@]}" -- one cstorm "$work/liveroom.toml" connect-storm --conns "${STORM_CONNS:-15000}" \
		--procs "$procs" --label "accept_rate=0"
	;;
reconnect)
	read -r -a targets <<<"${TARGETS:-liveroom centrifuge}"
	each_run "${targets[@]}" -- one rstorm "$work/liveroom.toml" reconnect-storm --subs "${STORM_SUBS:-15000}" \
		--channel feed:storm --rate "${STORM_RATE:-10}" --procs "$procs" --timeout 5m
	;;
cluster3)
	for run in $(seq "$runs"); do
		wait_quiet
		cluster3_run "$run" || echo "== cluster3 run $run failed" >&2
	done
	;;
*)
	echo "compare.sh: scenario $scenario has no case" >&2
	exit 2
	;;
esac

{
	echo "<!-- compare.sh $scenario: started $started, finished $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $runs runs -->"
	"$work/liveroom-bench" table <"$results"
} >"$out"
echo "== table written to $out" >&2
cat "$out"
