#!/usr/bin/env bash
# HTTP load on `mnist serve`: single-image PNG requests at concurrency 1, 16 and 64, with and
# without micro-batching; throughput, p50, p90, p99, p99.9, errors and server peak RSS. wrk (Debian
# package `wrk`) runs on the same 2 cores as the servers, on loopback.
#
# Method, because the machine is shared and noisy and the JIT is slow to settle:
# - both servers (batching on, batching off) are started with `./mnist serve`, so they run with
#   the JVM flags users get (MNIST_SERVER_JAVA_OPTS overrides them, to compare collectors);
# - "cold": the first 10 s at c=1 right after /ping answers 200, before any other load: what a
#   freshly started instance shows while its JIT is still compiling the request path;
# - then each server is loaded at c=16 until its JIT compiler threads have been idle for 5 s
#   (bench/lib/http.sh), so the rounds measure the steady state, not the compiler;
# - ROUNDS rounds, each running every (concurrency, mode) pair in turn, so that both modes see the
#   same bursts of the shared host; the JSON keeps every round and their median.
# wrk corrects for coordinated omission: a stall of L ms at c=1 also counts the requests a
# steady client would have sent meanwhile, so one 10 ms stall weighs like ~30 slow requests and
# the p99 measures stalls (GC pauses, the compiler, the host), not the typical request.
# Usage: bench/http-load.sh [MODEL_DIR] [SECONDS] [ROUNDS]  -> bench/results/http-load-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
MODEL=${1:-$ROOT/server/src/test/resources/fixtures/small-v1}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
OUT="$ROOT/bench/results"; mkdir -p "$OUT"; TMP=$(mktemp -d)
. "$ROOT/bench/lib/http.sh"
prepare
"$ROOT/mnist" --help >/dev/null # builds the CLI now, not while a server is being timed
declare -A PORT=([batching]=18080 [no-batching]=18081) PID=()
trap stop_servers EXIT

results=()
for mode in batching no-batching; do
  flags=(); [ "$mode" = no-batching ] && flags=(--no-batching)
  "$ROOT/mnist" serve --port "${PORT[$mode]}" --model-dir "$MODEL" --monitor-dir "$TMP/monitoring-$mode" \
    "${flags[@]}" > "$TMP/server-$mode.log" 2>&1 &
  PID[$mode]=$!
  wait_ready "${PORT[$mode]}"
  line=$(wrk_png "${PORT[$mode]}" 1 10)
  echo "$mode cold c=1 $line"
  results+=("$mode cold 1 $line")
done
for mode in batching no-batching; do
  took=$(warm_up "${PORT[$mode]}" "${PID[$mode]}")
  echo "$mode warmed up in $took s"
  results+=("$mode warmup $took")
done
for round in $(seq 1 "$ROUNDS"); do
  for c in 1 16 64; do
    for mode in batching no-batching; do
      line=$(wrk_png "${PORT[$mode]}" "$c" "$SECONDS_PER_RUN")
      echo "round $round $mode c=$c $line"
      results+=("$mode $round $c $line")
    done
  done
done
for mode in batching no-batching; do
  results+=("$mode rss $(grep VmHWM "/proc/${PID[$mode]}/status" | awk '{print $2}')")
done
stop_servers; trap - EXIT

printf '%s\n' "${results[@]}" | SERVER_JAVA_OPTS="${MNIST_SERVER_JAVA_OPTS:-default}" python3 -c '
import sys, json, datetime, os, statistics
out = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(),
       "server_java_opts": os.environ["SERVER_JAVA_OPTS"], "load_generator": "wrk on the same machine",
       "cold": [], "warmup_seconds": {}, "rounds": [], "median": [], "server_peak_rss_mib": {}}
for line in sys.stdin:
    parts = line.split()
    mode, what = parts[0], parts[1]
    if what == "rss":
        out["server_peak_rss_mib"][mode] = round(int(parts[2]) / 1024, 1); continue
    if what == "warmup":
        out["warmup_seconds"][mode] = int(parts[2]); continue
    run = {"mode": mode, "concurrency": int(parts[2]),
           **{k: float(v) for k, v in (p.split("=") for p in parts[3:])}}
    if what == "cold":
        out["cold"].append(run)
    else:
        out["rounds"].append({"round": int(what), **run})
for mode in ("batching", "no-batching"):
    for c in (1, 16, 64):
        runs = [r for r in out["rounds"] if r["mode"] == mode and r["concurrency"] == c]
        out["median"].append({"mode": mode, "concurrency": c, **{k: statistics.median(r[k] for r in runs)
            for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")},
            "errors": sum(r["errors"] for r in runs)})
print(json.dumps(out, indent=2))' > "$TMP/result.json"
name="http-load-$(date -u +%Y-%m-%d)${RESULT_SUFFIX:+-$RESULT_SUFFIX}.json"
cp "$TMP/result.json" "$OUT/$name"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("median of", max(x["round"] for x in r["rounds"]), "rounds:")
for m in r["median"]:
    print("  %-12s c=%-3d %9.1f req/s  p50 %.3f  p99 %.3f  p99.9 %.3f ms  errors %d" % (m["mode"], m["concurrency"],
          m["rps"], m["p50_ms"], m["p99_ms"], m["p999_ms"], m["errors"]))
print("peak RSS MiB:", r["server_peak_rss_mib"])' "$OUT/$name"
echo "-> bench/results/$name"
