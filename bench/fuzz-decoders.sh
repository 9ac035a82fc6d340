#!/usr/bin/env bash
# Long coverage-guided fuzzing runs (Jazzer 0.30.0: libFuzzer driving the JVM) of the decoders that
# take untrusted bytes: ImagePreprocessor (with the JDK's ImageIO decoders instrumented), TensorDecoders
# (with Jackson's parser instrumented), the IDX reader and the S3 batch formats. Each target runs for
# SECONDS in its own JVM from its seeds; the suite runs the same targets for 5 s each.
# Prints and saves per target: executions, edges covered, corpus size, findings (crash-*/timeout-*
# files kept under the work directory, which is printed).
# Prints the load average before and after (a shared machine).
# Usage: bench/fuzz-decoders.sh [SECONDS]  -> bench/results/fuzz-decoders-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_PER_TARGET=${1:-600}
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
WORK=$(mktemp -d)
MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}" "$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" test-compile \
  dependency:build-classpath -pl lambda -am -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
# Each module writes its own list; the lambda module's is the last written and holds the others' jars.
CP="$ROOT/lambda/target/test-classes:$ROOT/lambda/target/classes:$ROOT/inference/target/test-classes"
CP="$CP:$ROOT/inference/target/classes:$ROOT/core/target/classes:$(cat "$WORK/cp.txt")"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
results=()
for spec in \
    "org.mnistpipeline.inference.fuzz.ImagePreprocessorFuzz com.sun.imageio.**:javax.imageio.**" \
    "org.mnistpipeline.inference.fuzz.TensorDecodersFuzz com.fasterxml.jackson.core.**" \
    "org.mnistpipeline.inference.fuzz.IdxFuzz -" \
    "org.mnistpipeline.lambda.BatchFormatFuzz -"; do
  read -r target instrument <<< "$spec"
  [ "$instrument" = "-" ] && instrument=""
  dir="$WORK/${target##*.}"; mkdir -p "$dir"
  echo "fuzzing ${target##*.} for $SECONDS_PER_TARGET s ..." >&2
  line=$("$JAVA_HOME/bin/java" -cp "$CP" org.mnistpipeline.inference.fuzz.FuzzRun "$target" "$SECONDS_PER_TARGET" \
    "$dir" "$instrument" | tail -n1) || true
  echo "$line"
  results+=("$line")
done
OUT="$ROOT/bench/results/fuzz-decoders-$(date -u +%Y-%m-%d).json"
printf '%s\n' "${results[@]}" | SECS="$SECONDS_PER_TARGET" WORKDIR="$WORK" LOAD_BEFORE="$LOAD_BEFORE" \
  LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)" python3 -c '
import sys, json, os, datetime, platform
runs = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(json.dumps({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": f"{os.cpu_count()} vCPU {cpu}", "fuzzer": "Jazzer 0.30.0 (libFuzzer, coverage-guided)",
    "seconds_per_target": int(os.environ["SECS"]), "load_average_before": os.environ["LOAD_BEFORE"],
    "load_average_after": os.environ["LOAD_AFTER"], "work_dir": os.environ["WORKDIR"], "targets": runs}, indent=2))' > "$OUT"
echo "saved $OUT (findings and corpora under $WORK)"
