#!/usr/bin/env bash
# Where the concurrency-1 tail is: wrk's end-to-end latency next to the server's own histogram of
# /invocations (handler entry to response sent), for single 28x28 PNG requests, three rounds.
# Usage: bench/http-tail-probe.sh   -> bench/results/http-tail-probe-<date>.txt
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl server,bench -am
TMP=$(mktemp -d); PORT=18091; OUT="$ROOT/bench/results/http-tail-probe-$(date -u +%Y-%m-%d).txt"
"$JAVA_HOME/bin/java" -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.mnistpipeline.bench.WriteDigitPng "$TMP/digit.png"
{
echo "# c=1 tail probe, $(date -u +%FT%TZ): wrk -t1 -c1 -d8s vs the server's /invocations histogram"
for round in 1 2 3; do
  "$JAVA_HOME/bin/java" -Xmx512m -cp "$ROOT/server/target/mnist-server.jar:$ROOT/server/target/lib/*" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn org.mnistpipeline.server.ServerMain --port $PORT \
    --model-dir "$ROOT/server/src/test/resources/fixtures/small-v1" --no-monitor > "$TMP/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && break; sleep 0.1; done
  BODY="$TMP/digit.png" wrk -t1 -c4 -d3s -s "$ROOT/bench/http-post-png.lua" "http://127.0.0.1:$PORT/invocations" >/dev/null
  curl -s "http://127.0.0.1:$PORT/metrics" | grep 'mnist_request_duration_seconds_bucket.*invocations' > "$TMP/before"
  BODY="$TMP/digit.png" wrk -t1 -c1 -d8s --latency -s "$ROOT/bench/http-post-png.lua" \
    "http://127.0.0.1:$PORT/invocations" | grep '^RESULT'
  curl -s "http://127.0.0.1:$PORT/metrics" | grep 'mnist_request_duration_seconds_bucket.*invocations' > "$TMP/after"
  paste "$TMP/before" "$TMP/after" | awk '{print $1, $4 - $2}' | grep -E 'le="(0.0005|0.001|0.0025|\+Inf)"'
  kill -TERM $pid; wait $pid 2>/dev/null || true
  echo
done
} | tee "$OUT"
