#!/usr/bin/env bash
# The Lambda prediction cache on a realistic stream: REQUESTS function URL events drawn Zipf(S) over
# the 10,000 MNIST test images (seeded), each digit as a PNG or a JSON tensor at random, replayed
# in-process through the real PredictionHandler once per cache size (off, 100, 1,000, 10,000
# entries) and kind of JSON client, in ROUNDS interleaved rounds. Reports tier-1 hit ratio, latency
# per request, the modelled Lambda cost per million requests (GB-seconds at 512 / 1024 / 1769 MB, 1 ms billing, us-east-1 x86 prices) and the CDN
# tier (GET /predictions/{sha256}) under stated assumptions. Needs MNIST (./mnist data fetch).
# Usage: bench/lambda-cache.sh [REQUESTS] [ZIPF_S] [SEED] [MODEL_DIR] [ROUNDS]  -> bench/results/lambda-cache-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
REQUESTS=${1:-100000}
S=${2:-1.1}
SEED=${3:-42}
MODEL=${4:-$ROOT/inference/src/test/resources/fixtures/small-v1}
ROUNDS=${5:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" test-compile dependency:build-classpath -pl lambda -am \
  -Dmdep.outputFile="$TMP/lambda.cp" -Dmdep.includeScope=test >/dev/null
OUT="$ROOT/bench/results/lambda-cache-$(date -u +%Y-%m-%d).json"
# No MALLOC_* tuning here: the function on Lambda runs without it.
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g \
  -cp "$ROOT/lambda/target/test-classes:$ROOT/lambda/target/classes:$(cat "$TMP/lambda.cp")" \
  org.mnistpipeline.lambda.LambdaCacheReplay "$OUT" "$REQUESTS" "$S" "$SEED" "$MODEL" "$ROUNDS" >/dev/null
echo "wrote $OUT"
