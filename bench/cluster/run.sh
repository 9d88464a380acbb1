#!/usr/bin/env bash
# Broadcast on one node vs a three-node cluster, for docs/benchmarks.md
# ("Cluster and edge"). Builds the server and the load tool, then for each
# topology (1 node, 3 nodes with replicated streams) and each rate runs
#
#   liveroom-bench broadcast --subs $SUBS --size 100 --rate R --duration $DURATION
#
# against a fresh set of nodes. The subscribers connect to node 1 and the
# publications go through node 1's API, so the difference is what the
# cluster adds: replication of every write to three nodes (JetStream R3)
# and the other nodes' share of the CPU. No pinning: on a small machine the
# nodes and the tool share the cores, as they would on one box.
#
#   bench/cluster/run.sh                     # RATES="10 50", SUBS=2000, DURATION=20s
#   TOPOLOGIES=3 RATES=50 bench/cluster/run.sh
#   BENCH_FLAGS="--disturbed-retries 0" bench/cluster/run.sh   # on a busy machine
#
# Runs alternate topologies (1, 3, 1, 3, …) so that a busy neighbour
# disturbs both alike. Environment: RUNS (1), TOPOLOGIES ("1 3"), RATES ("10 50"), SUBS (2000), DURATION
# (20s), BENCH_FLAGS (extra flags for the tool), CLUSTER_PORT_BASE (16220:
# route ports 16221-16223), KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
subs=${SUBS:-2000}
rates=${RATES:-10 50}
duration=${DURATION:-20s}
topologies=${TOPOLOGIES:-1 3}
runs=${RUNS:-1}

work=$(mktemp -d -t liveroom-cluster-bench.XXXXXX)
pids=()
cleanup() {
	stop_nodes
	if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "== building into $work" >&2
(cd "$root" && go build -o "$work/liveroom" ./cmd/liveroom && go build -o "$work/liveroom-bench" ./cmd/liveroom-bench)

secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
apikey=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
cat >"$work/liveroom.toml" <<TOML
[api]
key = "$apikey"

[[auth.keys]]
algorithm = "HS256"
secret = "$secret"

[client]
max_connections_per_ip = 0
max_connections_per_user = 0
accept_rate = 0
queue_max_bytes = "16MiB"
commands_per_second = 0
TOML

port_base=${CLUSTER_PORT_BASE:-16220} # route ports: base+1 … base+3
# start_nodes N starts N nodes (N = 1: alone; N = 3: one cluster); sets
# url (node 1) and node1_pid.
start_nodes() {
	local n=$1 routes="" i port
	local -a cports
	if ((n > 1)); then
		for ((i = 1; i <= n; i++)); do cports[i]=$((port_base + i)); routes+="nats-route://127.0.0.1:${cports[i]},"; done
		routes=${routes%,}
	fi
	for ((i = 1; i <= n; i++)); do
		local dir=$work/run-$n-$i
		mkdir -p "$dir"
		local args=(--addr 127.0.0.1:0 --data-dir "$dir/data" --config "$work/liveroom.toml" --demo=false --node-name "n$i")
		if ((n > 1)); then args+=(--cluster-listen "127.0.0.1:${cports[i]}" --routes "$routes"); fi
		"$work/liveroom" "${args[@]}" >"$dir/stdout" 2>"$dir/stderr" &
		pids+=($!)
	done
	node1_pid=${pids[0]}
	for _ in $(seq 600); do
		url=$(sed -n 's/^listening on //p' "$work/run-$n-1/stdout")
		if [[ -n $url ]] && curl -sf "$url/readyz" >/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "run.sh: nodes did not become ready; node 1 log:" >&2
	cat "$work/run-$n-1/stderr" >&2
	exit 1
}

stop_nodes() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}

for run in $(seq "$runs"); do
for rate in $rates; do
	for topo in $topologies; do
		start_nodes "$topo"
		echo "== $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg) — $topo node(s), $subs subscribers, $rate publications/s" >&2
		"$work/liveroom-bench" broadcast --subs "$subs" --size 100 --rate "$rate" --duration "$duration" \
			--url "$url" --api-key "$apikey" --token-secret "$secret" --server-pid "$node1_pid" ${BENCH_FLAGS:-}
		stop_nodes
	done
done
done
