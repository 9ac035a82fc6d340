#!/usr/bin/env bash
# JMH: ONNX Runtime predictor latency (batch 1), throughput (batch 64), PNG preprocessing cost,
# and the per-prediction cost of drift-monitoring summaries.
# Usage: bench/inference-jmh.sh [MODEL_DIR]   (default: the production model in the registry)
#        -> bench/results/inference-jmh-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
MODEL=${1:-$("$ROOT/mnist" models show production --json | python3 -c 'import json,sys,os; print(os.path.join(os.environ.get("MNIST_HOME", os.path.expanduser("~/.mnist-pipeline")), "registry/models", json.load(sys.stdin)["version"]))')}
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl bench -am
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
"$JAVA_HOME/bin/java" -Dmodel.dir="$MODEL" -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.openjdk.jmh.Main InferenceBenchmarks -f 1 -wi 3 -w 2s -i 5 -r 3s \
  -rf json -rff "$OUT/inference-jmh-$(date -u +%Y-%m-%d).json" -jvmArgsAppend "-Dmodel.dir=$MODEL"
