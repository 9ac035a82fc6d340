#!/usr/bin/env bash
# Incremental vs full retraining under a deterministic shift, through the real pipeline (see
# RetrainScenario): wall time, accuracy on the original and on the shifted test set.
# Targets: incremental <= 25 % of the full wall time, within 0.3 points of full on the shifted
# test set, and <= 0.1 points lost on the original test set.
# Usage: bench/retrain-incremental.sh [BASE_IMAGES] [NEW_IMAGES] [SHIFT]
#        (defaults 30000 10000 thick+slant:12; RETRAIN_RECIPE=fast for the small CNN)
#        -> bench/results/retrain-incremental-<recipe>-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
"$ROOT/mnist" data fetch >/dev/null
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl bench -am
OUT="$ROOT/bench/results"; mkdir -p "$OUT"; TMP=${RETRAIN_WORK:-$(mktemp -d)}
[ -n "${RETRAIN_WORK:-}" ] || trap 'rm -rf "$TMP"' EXIT
MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456 \
TORCH_CPP_LOG_LEVEL=ERROR "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.mnistpipeline.bench.RetrainScenario "$TMP" "$OUT/retrain-incremental-${RETRAIN_RECIPE:-strong}-$(date -u +%Y-%m-%d).json" "$@"
