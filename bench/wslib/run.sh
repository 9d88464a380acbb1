#!/usr/bin/env bash
# Measures the WebSocket server contenders (see contender/) for decision
# record docs/decisions/0002-websocket-library.md: idle memory per
# connection at 5,000 and 15,000 connections, and broadcast throughput at
# 5,000 connections, median of 3 runs each.
#
#   bench/wslib/run.sh                     # everything (about half an hour)
#   RESULTS=scratch bench/wslib/run.sh -servers gws -reps 1 -n 1000 -broadcast-n 1000
#
# Extra arguments go to wsbench (see `go run ./cmd/wsbench -h`). The server
# runs on CPU 0 with GOMAXPROCS=1, the client processes on CPU 1. Output:
# one RESULT/FAIL line per run and MEDIAN lines on stdout, also kept in
# $RESULTS.txt, and the markdown report $RESULTS.md; RESULTS defaults to
# "results" beside this script (the files the decision record quotes), so
# give trial runs another name: RESULTS=scratch bench/wslib/run.sh ...
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

go build -o bin/ ./cmd/wsserver ./cmd/wsclient ./cmd/wsbench

# 15,000 connections need more than the usual 1,024 descriptors per process.
ulimit -n "$(ulimit -Hn)"

results="${RESULTS:-results}"
echo "# $(date -u +%FT%TZ) $(go version) nproc=$(nproc)" | tee "$results.txt"
bin/wsbench -bin bin -clk-tck "$(getconf CLK_TCK)" -out "$results.md" "$@" | tee -a "$results.txt"
