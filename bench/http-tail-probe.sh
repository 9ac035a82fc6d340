#!/usr/bin/env bash
# Where the concurrency-1 tail is: wrk's end-to-end latency next to the server's own histogram of
# /invocations (handler entry to response sent), for single 28x28 PNG requests, three rounds, each
# on a fresh server warmed until its JIT is idle (bench/lib/http.sh). wrk's percentiles are
# corrected for coordinated omission and the server's histogram is not: a stall of L ms counts
# once in the histogram but about L / (mean latency) times in wrk's p99.
# Usage: bench/http-tail-probe.sh   -> bench/results/http-tail-probe-<date>.txt
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl server,bench -am
"$ROOT/mnist" --help >/dev/null # builds the CLI now, not while a server is being timed
TMP=$(mktemp -d); PORT=18091; OUT="$ROOT/bench/results/http-tail-probe-$(date -u +%Y-%m-%d).txt"
"$JAVA_HOME/bin/java" -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.mnistpipeline.bench.WriteDigitPng "$TMP/digit.png"
BODY="$TMP/digit.png"
. "$ROOT/bench/lib/http.sh"
{
echo "# c=1 tail probe, $(date -u +%FT%TZ): wrk -t1 -c1 -d8s vs the server's /invocations histogram"
for round in 1 2 3; do
  "$ROOT/mnist" serve --port $PORT --model-dir "$ROOT/server/src/test/resources/fixtures/small-v1" --no-monitor \
    > "$TMP/server.log" 2>&1 &
  pid=$!
  wait_ready $PORT
  echo "warmed up in $(warm_up $PORT $pid) s"
  curl -s "http://127.0.0.1:$PORT/metrics" | grep 'mnist_request_duration_seconds_bucket.*invocations' > "$TMP/before"
  wrk_png $PORT 1 8
  curl -s "http://127.0.0.1:$PORT/metrics" | grep 'mnist_request_duration_seconds_bucket.*invocations' > "$TMP/after"
  paste "$TMP/before" "$TMP/after" | awk '{print $1, $4 - $2}' | grep -E 'le="(0.0005|0.001|0.0025|\+Inf)"'
  kill -TERM $pid; wait $pid 2>/dev/null || true
  echo
done
} | tee "$OUT"
