#!/usr/bin/env bash
# Inference start-up: process start -> first prediction (the whole `java` process, wall clock,
# an upper bound), for the inference module alone (what the Lambda function will carry), with
# ONNX Runtime's natives extracted from the jar at start (default) and pre-extracted
# (-Donnxruntime.native.path). Also the size of the module's runtime classpath.
# Usage: bench/inference-startup.sh [MODEL_DIR] [RUNS]  -> bench/results/inference-startup-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
MODEL=${1:-$ROOT/inference/src/test/resources/fixtures/small-v1}
RUNS=${2:-5}
TMP=$(mktemp -d)
# One reactor run packages and lists the classpath (the modules are never installed into ~/.m2).
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package dependency:build-classpath -DskipTests -pl inference -am \
  -Dmdep.outputFile="$TMP/inference.cp" -Dmdep.includeScope=runtime >/dev/null
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl bench -am >/dev/null
# bench's classes for the InferenceStartup main only; none of its dependencies (DJL) come along.
CP="$ROOT/bench/target/classes:$ROOT/inference/target/classes:$ROOT/core/target/classes:$(tr ':' '\n' < "$TMP/inference.cp" | grep -v '/mnistpipeline/' | paste -sd:)"
ORT_JAR=$(tr ':' '\n' < "$TMP/inference.cp" | grep onnxruntime)
(cd "$TMP" && unzip -q -o "$ORT_JAR" 'ai/onnxruntime/native/linux-x64/*')
NATIVE="$TMP/ai/onnxruntime/native/linux-x64"
measure() { # label, extra java flags...
  local label=$1; shift
  for i in $(seq 1 "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$JAVA_HOME/bin/java" "$@" -cp "$CP" org.mnistpipeline.bench.InferenceStartup "$MODEL" >/dev/null
    t1=$(date +%s%N)
    echo "$label $(( (t1 - t0) / 1000000 ))"
  done
}
{
  measure plain
  measure preextracted "-Donnxruntime.native.path=$NATIVE"
  measure preextracted_c1 "-Donnxruntime.native.path=$NATIVE" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
} | tee "$TMP/runs.txt"
jar_bytes=$(tr ':' '\n' < "$TMP/inference.cp" | grep -v '/mnistpipeline/' | xargs du -cb | tail -n1 | cut -f1)
own_bytes=$(du -cb "$ROOT"/core/target/mnist-core-*.jar "$ROOT"/inference/target/mnist-inference-*.jar 2>/dev/null | tail -n1 | cut -f1)
native_bytes=$(du -sb "$NATIVE" | cut -f1)
python3 - "$TMP/runs.txt" "$jar_bytes" "$own_bytes" "$native_bytes" "$ROOT/bench/results/inference-startup-$(date -u +%Y-%m-%d).json" <<'PY'
import sys, json, statistics, collections, datetime, os
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, v = line.split(); runs[k].append(int(v))
res = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(),
       "what": "wall ms from process start to exit after the first prediction (inference module only)",
       "runs_ms": runs, "median_ms": {k: statistics.median(v) for k, v in runs.items()},
       "runtime_classpath_mib": (int(sys.argv[2]) + int(sys.argv[3])) / 2**20,
       "onnxruntime_linux_x64_natives_mib": int(sys.argv[4]) / 2**20}
json.dump(res, open(sys.argv[5], "w"), indent=2)
print(json.dumps(res, indent=2))
PY
