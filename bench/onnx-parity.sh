#!/usr/bin/env bash
# Release check: ONNX Runtime vs DJL/PyTorch on all 10,000 MNIST test images for a registered
# version (default: production): argmax must agree on every image. Exit 1 on any mismatch.
# Usage: bench/onnx-parity.sh [VERSION]  -> bench/results/onnx-parity-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl bench -am
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
TORCH_CPP_LOG_LEVEL=ERROR "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
  org.mnistpipeline.bench.OnnxParity "${1:-production}" "$OUT/onnx-parity-$(date -u +%Y-%m-%d).json"
