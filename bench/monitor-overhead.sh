#!/usr/bin/env bash
# A/B of drift monitoring's cost on the server: single-PNG requests at concurrency 1 and 16 with
# --no-monitor and with monitoring on (every prediction sampled), alternated for ROUNDS rounds so
# that drift in the machine's load shows up as round-to-round spread. wrk on loopback.
# Usage: bench/monitor-overhead.sh [MODEL_DIR] [SECONDS] [ROUNDS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
MODEL=${1:-$ROOT/server/src/test/resources/fixtures/small-v1}
SECONDS_PER_RUN=${2:-8}
ROUNDS=${3:-2}
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl server,bench -am
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$JAVA_HOME/bin/java" -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.mnistpipeline.bench.WriteDigitPng "$TMP/digit.png"
PORT=18391
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    flags=(--no-monitor); [ "$mode" = on ] && flags=(--monitor-dir "$TMP/monitoring" --monitor-interval 2)
    "$JAVA_HOME/bin/java" -Xmx512m -cp "$ROOT/server/target/mnist-server.jar:$ROOT/server/target/lib/*" \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn org.mnistpipeline.server.ServerMain --port "$PORT" \
      --model-dir "$MODEL" "${flags[@]}" > "$TMP/server-$mode.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && break; sleep 0.1; done
    BODY="$TMP/digit.png" wrk -t1 -c4 -d2s -s "$ROOT/bench/http-post-png.lua" "http://127.0.0.1:$PORT/invocations" >/dev/null
    for c in 1 16; do
      line=$(BODY="$TMP/digit.png" wrk -t$(( c < 2 ? 1 : 2 )) -c"$c" -d"${SECONDS_PER_RUN}s" --latency \
        -s "$ROOT/bench/http-post-png.lua" "http://127.0.0.1:$PORT/invocations" | grep '^RESULT')
      echo "round=$round monitor=$mode c=$c $line"
    done
    kill -TERM "$pid"; wait "$pid" || true
  done
done
echo "summary files written: $(find "$TMP/monitoring" -name '*.json' 2>/dev/null | wc -l)"
