// Command liveroom-bench is liveroom's load generator. It opens many
// WebSocket connections that speak the client protocol (JSON or Protobuf)
// — or Socket.IO's (Engine.IO v4) — publishes on a fixed schedule,
// measures publish-to-deliver latency, and reads the server's CPU time and
// memory from /proc. It drives liveroom and the peers in bench/peers alike,
// so they are measured the same way.
//
// # Running it
//
// Against a running server (its "listening on" URL, its data directory for
// the generated token secret and API key, and its process id for CPU and
// memory):
//
//	liveroom-bench idle            --url http://127.0.0.1:8080 --data-dir DIR --server-pid PID --conns 15000
//	liveroom-bench broadcast       … --subs 5000 --rate 50          (or --find-saturation)
//	liveroom-bench rooms           … --rooms 1000 --members 20 --rate 1 --procs 2
//	liveroom-bench connect-storm   … --conns 15000 --procs 2
//	liveroom-bench reconnect-storm … --subs 15000 --rate 10 --procs 2
//	liveroom-bench summarize < results.jsonl   (medians per result key)
//	liveroom-bench table     < results.jsonl   (side-by-side markdown tables)
//
// Flags every scenario takes: --target liveroom|centrifuge|socketio (the
// centrifuge peer speaks liveroom's protocol; socketio is the Engine.IO
// adapter), --proto json|protobuf, --procs K, --source-addrs N,
// --server-log FILE (the server's stderr with GODEBUG=gctrace=1: the Go
// heap), --label TEXT (copied into the result), --cpuprofile FILE (this
// tool's own profile), --latency-log PREFIX (every delivery of each
// measurement window, in arrival order, to PREFIX-p<process>-w<window>.tsv:
// receive time in Unix ns, latency in ns, connection index; to place a
// tail in time). "liveroom-bench SCENARIO -h" lists the rest.
//
// To compare servers, run the script rather than the tool: it builds
// liveroom, the tool and the peers, starts a fresh server for every run
// pinned to CPU 0 (taskset, GOMAXPROCS=1), runs the tool pinned to CPU 1,
// interleaves the targets, repeats RUNS times (3) and writes the table:
//
//	cmd/liveroom-bench/compare.sh idle|broadcast|bsearch|bfixed|ceiling|nohist|hsearch|rooms|connect|reconnect|cluster3
//
// The script's header lists its environment variables; docs/benchmarks.md
// has the numbers and how to read them.
//
// # Scenarios
//
//   - idle: N connections, each subscribed to its own personal:<user>
//     channel, answering pings. RSS and Go heap per connection, idle server
//     CPU per 1,000 connections.
//   - broadcast: one channel with N subscribers, publications of S bytes
//     through the server API (or pipelined on one client connection) at R
//     per second. Deliveries/s, latency percentiles, server CPU per 1,000
//     deliveries. --find-saturation doubles R until a 10 s window fails to
//     keep up (fewer than 99 % of offered deliveries, p99 above --p99-bound,
//     a failure or a disconnect), looks once past the first failure, then
//     narrows the bracket to 10 %; it then measures at half that rate.
//   - rooms: R rooms of M members; each publication is sent by a member over
//     its own connection (in turn) and reaches every member of its room.
//     Every room gets one publication per R, in a strided room order, so
//     every tool process is busy at a steady rate.
//   - connect-storm: C connections dial at once (at most --dialing
//     handshakes in flight); connections/s, handshake+connect and
//     +subscribe percentiles, failures by kind.
//   - reconnect-storm: N subscribers of one channel are reset at once (TCP
//     RST) while publications continue; they dial again and resubscribe
//     with recovery from their last offset and epoch, as the SDKs do. Time
//     until all are back, recovered true/false, and per client the
//     publications lost and duplicated (both must be 0).
//
// # How it measures
//
// A delivery is never fully decoded: a byte scan of the JSON line, or a
// walk of the Protobuf wire format, finds the publisher's timestamp at the
// start of the data and the publication's offset (internal/pushscan, fuzzed
// against the protocol's own encoders; internal/eio for Socket.IO, tested
// against Socket.IO's own encoders). Offsets are checked per subscriber:
// a jump is a loss, an offset seen again is a duplicate.
//
// Publications leave on a fixed schedule: the i-th is due at start + i/R
// and carries that due time whenever it actually leaves, so a server that
// falls behind shows as latency, not as a lower rate (no coordinated
// omission). Latency (receive time − due time, one clock) goes into
// log-linear histograms with buckets at most 1/64 wide (internal/latency),
// merged across processes. The schedule's own lateness is part of that
// latency: Go's timers wake through an epoll wait whose timeout is in whole
// milliseconds, so a publication can leave up to about 1 ms after its due
// time. In the rooms scenario the tool records that lateness for every
// publication (send_lateness: write time − due time), and --stamp sent
// measures latency from the write instead of the due time.
//
// Connections are spread over loopback source addresses 127.0.0.1 … so
// that one address's ephemeral ports do not run out. With --procs K the
// connections live in K child processes of this program, each under the
// open file limit with source addresses of its own, driven over their
// stdin and stdout ("liveroom-bench agent" requests, one JSON line each);
// their counters and histograms are merged into the one result.
//
// Every window records the server's CPU seconds (utime + stime from
// /proc/PID/stat) and RSS, the tool's own CPU over all its processes, and
// what the rest of the machine used (all CPUs from /proc/stat minus server
// and tool): on a shared machine a disturbed window can be seen, and
// results are also given per server CPU-second.
//
// # Output
//
// Each scenario prints one JSON result line on stdout (its "key" names the
// scenario, target and size, for summarize), then a human summary whose
// lines start with "# ". Progress goes to stderr.
package main
