#!/usr/bin/env bash
# HTTP load on `mnist serve`: single-image PNG requests at concurrency 1, 16 and 64, with and
# without micro-batching; throughput, p50, p99, errors and server peak RSS. wrk (Debian package
# `wrk`) runs on the same machine as the server, on loopback.
# Usage: bench/http-load.sh [MODEL_DIR] [SECONDS]  -> bench/results/http-load-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
MODEL=${1:-$ROOT/server/src/test/resources/fixtures/small-v1}
SECONDS_PER_RUN=${2:-10}
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl server,bench -am
OUT="$ROOT/bench/results"; mkdir -p "$OUT"; TMP=$(mktemp -d)
# A real MNIST test digit as a 28x28 greyscale PNG.
"$JAVA_HOME/bin/java" -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.mnistpipeline.bench.WriteDigitPng "$TMP/digit.png"
PORT=18080
results=()
for mode in batching no-batching; do
  flags=(); [ "$mode" = no-batching ] && flags=(--no-batching)
  "$JAVA_HOME/bin/java" -Xmx512m -cp "$ROOT/server/target/mnist-server.jar:$ROOT/server/target/lib/*" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    org.mnistpipeline.server.ServerMain --port "$PORT" --model-dir "$MODEL" --monitor-dir "$TMP/monitoring" "${flags[@]}" > "$TMP/server-$mode.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && break; sleep 0.1; done
  # warm-up
  BODY="$TMP/digit.png" wrk -t1 -c4 -d3s -s "$ROOT/bench/http-post-png.lua" "http://127.0.0.1:$PORT/invocations" >/dev/null
  for c in 1 16 64; do
    threads=$(( c < 2 ? 1 : 2 ))
    line=$(BODY="$TMP/digit.png" wrk -t"$threads" -c"$c" -d"${SECONDS_PER_RUN}s" --latency -s "$ROOT/bench/http-post-png.lua" \
      "http://127.0.0.1:$PORT/invocations" | grep '^RESULT')
    echo "$mode c=$c $line"
    results+=("$mode $c $line")
  done
  rss_kb=$(grep VmHWM "/proc/$pid/status" | awk '{print $2}')
  results+=("$mode rss $rss_kb")
  kill -TERM "$pid"; wait "$pid" || true
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, json, re, datetime, os
out = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(), "runs": [], "server_peak_rss_mib": {}}
for line in sys.stdin:
    parts = line.split()
    if parts[1] == "rss":
        out["server_peak_rss_mib"][parts[0]] = int(parts[2]) / 1024; continue
    kv = dict(p.split("=") for p in parts[3:])
    out["runs"].append({"mode": parts[0], "concurrency": int(parts[1]), **{k: float(v) for k, v in kv.items()}})
print(json.dumps(out, indent=2))' | tee "$OUT/http-load-$(date -u +%Y-%m-%d).json"
