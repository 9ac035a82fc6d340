#!/usr/bin/env bash
# Lambda cold start, locally: a fresh JVM runs AWS's runtime interface client (as the java21 managed
# runtime does) on the unzipped deployment zip, against a loopback Runtime API; timed from process
# start to the first response posted (init + first invocation, a PNG through the whole handler).
# Variants: plain; AppCDS (a dynamic archive from one training run, -XX:ArchiveClassesAtExit, then
# -XX:SharedArchiveFile); C1 only (-XX:TieredStopAtLevel=1, common on Lambda); both together; and
# the naive function (bench's DjlLambdaHandler: DJL + PyTorch on the training weights, natives
# unpacked into an empty DJL cache each run, as in a fresh Lambda environment's /tmp).
# Usage: bench/lambda-coldstart.sh [RUNS] [MODEL_DIR]  -> bench/results/lambda-coldstart-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
RUNS=${1:-5}
MODEL=${2:-$ROOT/inference/src/test/resources/fixtures/small-v1}
TMP=$(mktemp -d)
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package dependency:build-classpath -DskipTests -pl lambda -am \
  -Dmdep.outputFile="$TMP/lambda.cp" -Dmdep.includeScope=test >/dev/null
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package dependency:build-classpath -DskipTests -pl bench -am \
  -Dmdep.outputFile="$TMP/bench.cp" -Dmdep.includeScope=runtime >/dev/null
ZIP="$ROOT/lambda/target/mnist-lambda-x86_64.zip"
mkdir "$TMP/task" && (cd "$TMP/task" && unzip -q "$ZIP")
# What the managed runtime has on its own classpath: the client and what it needs. The function's
# jars stay in the task root, loaded by the client's class loader as on Lambda.
CHILD_CP=$(tr ':' '\n' < "$TMP/lambda.cp" \
  | grep -E '/aws-lambda-java-(runtime-interface-client|serialization|core)/|/software/amazon/awssdk/utils-lite/' | paste -sd:)
BENCH_CP="$ROOT/lambda/target/test-classes:$ROOT/lambda/target/classes:$(cat "$TMP/lambda.cp")"
measure() { # label, runs, child JVM flags...
  "$JAVA_HOME/bin/java" -Dsun.net.httpserver.nodelay=true -cp "$BENCH_CP" org.mnistpipeline.lambda.LambdaColdStart \
    "$1" "$2" "$CHILD_CP" "$TMP/task" "$MODEL" "${@:3}"
}
C1=(-XX:+TieredCompilation -XX:TieredStopAtLevel=1)
measure cds_training 1 -XX:ArchiveClassesAtExit="$TMP/app.jsa" -Xlog:cds=off -Xlog:aot=off >/dev/null
{
  measure plain "$RUNS"
  measure appcds "$RUNS" -XX:SharedArchiveFile="$TMP/app.jsa"
  measure c1 "$RUNS" "${C1[@]}"
  measure appcds_c1 "$RUNS" -XX:SharedArchiveFile="$TMP/app.jsa" "${C1[@]}"
  DJL_CP="$CHILD_CP:$ROOT/bench/target/mnist-bench.jar:$(cat "$TMP/bench.cp")"
  mkdir "$TMP/empty-task"
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$TMP/djl-cache" && mkdir "$TMP/djl-cache"
    DJL_CACHE_DIR="$TMP/djl-cache" "$JAVA_HOME/bin/java" -Dsun.net.httpserver.nodelay=true \
      -Dlambda.handler=org.mnistpipeline.bench.DjlLambdaHandler::handleRequest -cp "$BENCH_CP" \
      org.mnistpipeline.lambda.LambdaColdStart djl_pytorch 1 "$DJL_CP" "$TMP/empty-task" \
      "$ROOT/export/src/test/resources/fixtures/small-v1" -Dai.djl.offline=true
  done
} | tee "$TMP/runs.txt"
djl_unpacked=$(du -sb "$TMP/djl-cache" | cut -f1)
djl_cp_bytes=$(tr ':' '\n' < "$TMP/bench.cp" | xargs du -cb | tail -n1 | cut -f1)
python3 - "$TMP/runs.txt" "$ZIP" "$TMP/task" "$TMP/app.jsa" "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n1)" \
  "$ROOT/bench/results/lambda-coldstart-$(date -u +%Y-%m-%d).json" "$djl_unpacked" "$djl_cp_bytes" <<'PY'
import sys, json, statistics, collections, datetime, os
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    k, v = line.split(); runs[k].append(int(v))
unzipped = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[3]) for f in fs)
res = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
       "java": sys.argv[5],
       "what": "wall ms from JVM process start to the first response posted to a loopback Runtime API "
               "(runtime interface client 2.10.1, unzipped x86_64 zip as task root, fixture model, one PNG)",
       "runs_ms": runs, "median_ms": {k: statistics.median(v) for k, v in runs.items()},
       "zip_bytes": os.path.getsize(sys.argv[2]), "unzipped_bytes": unzipped,
       "appcds_archive_bytes": os.path.getsize(sys.argv[4]),
       "djl_pytorch_unpacked_natives_bytes": int(sys.argv[7]),
       "djl_pytorch_runtime_classpath_bytes": int(sys.argv[8])}
json.dump(res, open(sys.argv[6], "w"), indent=2)
print(json.dumps(res, indent=2))
PY
