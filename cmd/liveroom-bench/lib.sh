# Shared by run-core.sh and compare.sh (sourced, not run): builds the
# servers and the tool, starts one server at a time pinned to CPU 0 and runs
# the tool pinned to CPU 1, waits for a quiet machine before each run.
#
# The caller sets: here (this directory), root (the repository), work (a
# scratch directory), results (a file the result lines are appended to),
# and optionally QUIET_BUSY / QUIET_WAIT. Paths are relative to this file.

server_pid=""
server_url=""
server_dir=""
server_kind=""
quiet_busy=${QUIET_BUSY:-0.5}
quiet_wait=${QUIET_WAIT:-600}

# build_all builds liveroom, the tool and the Go peers into $work, and checks
# that the Socket.IO peer can run.
build_all() {
	echo "== building into $work" >&2
	(cd "$root" && go build -o "$work/liveroom" ./cmd/liveroom && go build -o "$work/liveroom-bench" ./cmd/liveroom-bench)
	(cd "$root/bench/peers/centrifuge" && go build -o "$work/centrifuge-peer" .)
	(cd "$root/bench/peers/ceiling" && go build -o "$work/ceiling" .)
	if [[ ! -d $root/bench/peers/socketio/node_modules/socket.io ]]; then
		(cd "$root/bench/peers/socketio" && npm ci --no-audit --no-fund >&2)
	fi
}

# liveroom_config FILE [EXTRA] writes a liveroom config that raises only
# admission limits (and accept_rate: a storm is then limited by the server's
# work, not its limiter) and adds the namespace feed (history and recovery,
# no presence, no join/leave: the reconnect storm's, configured alike in the
# centrifuge peer), with EXTRA appended. The built-in namespaces stay as
# shipped.
liveroom_config() {
	cat >"$1" <<'TOML'
[client]
max_connections_per_ip = 0
max_connections_per_user = 0
accept_rate = 0
queue_max_bytes = "16MiB"
commands_per_second = 0

[[namespaces]]
name = "feed"
history_size = 1000
history_ttl = "24h"
recovery = true
subscribe = "authenticated"
publish = "authenticated"
TOML
	if [[ -n ${2:-} ]]; then
		printf '%s\n' "$2" >>"$1"
	fi
}

# start_target KIND NAME [LIVEROOM_CONFIG] starts a fresh server of KIND
# (liveroom, centrifuge, socketio) in $work/NAME, pinned to CPU 0 (Go with
# GOMAXPROCS=1 — liveroom: as it sets it, see below — and gctrace on stderr); sets server_pid, server_url and
# server_dir. LIVEROOM_DEBUG_ADDR adds liveroom's pprof listener.
start_target() {
	local kind=$1 name=$2 config=${3:-$work/liveroom.toml}
	server_dir=$work/$name
	server_kind=$kind
	mkdir -p "$server_dir"
	case $kind in
	liveroom)
		local debug=()
		if [[ -n ${LIVEROOM_DEBUG_ADDR:-} ]]; then
			debug=(--debug-addr "$LIVEROOM_DEBUG_ADDR")
		fi
		# GOMAXPROCS as the runtime sets it: the one pinned CPU (liveroom
		# reserves nothing for its socket pollers, decision 0022);
		# LIVEROOM_GOMAXPROCS overrides.
		env ${LIVEROOM_GOMAXPROCS:+GOMAXPROCS=$LIVEROOM_GOMAXPROCS} ${LIVEROOM_GOGC:+GOGC=$LIVEROOM_GOGC} GODEBUG=gctrace=1 taskset -c 0 "$work/liveroom" --addr 127.0.0.1:0 \
			--data-dir "$server_dir/data" --config "$config" --demo=false "${debug[@]}" \
			>"$server_dir/stdout" 2>"$server_dir/stderr" &
		;;
	centrifuge)
		# The library's queue limit raised like liveroom's queue_max_bytes.
		GODEBUG=gctrace=1 GOMAXPROCS=1 taskset -c 0 "$work/centrifuge-peer" --addr 127.0.0.1:0 \
			--data-dir "$server_dir/data" --queue-max-bytes 16777216 \
			>"$server_dir/stdout" 2>"$server_dir/stderr" &
		;;
	socketio)
		taskset -c 0 node "$root/bench/peers/socketio/server.js" --addr 127.0.0.1:0 \
			--data-dir "$server_dir/data" >"$server_dir/stdout" 2>"$server_dir/stderr" &
		;;
	*)
		echo "start_target: unknown kind $kind" >&2
		return 1
		;;
	esac
	server_pid=$!
	for _ in $(seq 300); do
		server_url=$(sed -n 's/^listening on //p' "$server_dir/stdout")
		[[ -n $server_url ]] && return 0
		if ! kill -0 "$server_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "start_target: $kind did not start; its log:" >&2
	cat "$server_dir/stderr" >&2
	return 1
}

stop_target() {
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

# bench SCENARIO FLAGS… runs the tool, pinned to CPU 1 with GOMAXPROCS=1
# (child processes of --procs inherit both), against the current server.
bench() {
	local scenario=$1
	shift
	local log=()
	if [[ $server_kind != socketio ]]; then # Go servers write gctrace lines
		log=(--server-log "$server_dir/stderr")
	fi
	if [[ -n ${LATENCY_LOG:-} ]]; then # every delivery, per run: LATENCY_LOG/<run name>-p<process>-w<window>.tsv
		mkdir -p "$LATENCY_LOG"
		log+=(--latency-log "$LATENCY_LOG/$(basename "$server_dir")")
	fi
	echo "== $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg) — $scenario $*" >&2
	GOMAXPROCS=1 taskset -c 1 "$work/liveroom-bench" "$scenario" "$@" \
		--url "$server_url" --data-dir "$server_dir/data" \
		--server-pid "$server_pid" "${log[@]}" | tee -a "$results"
}
