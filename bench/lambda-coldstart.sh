#!/usr/bin/env bash
# Lambda cold start as deployed, locally: a fresh JVM runs AWS's runtime interface client on the unzipped
# deployment zip (the task root), against a loopback Runtime API that has answered one exchange of its own
# first; timed from process start to the first response posted (init + the first invocation: a function
# URL PNG through the whole handler), with the child's CPU time at that moment. One run of every variant
# per round, rounds repeated, so that all variants see the same bursts of a shared machine:
#   deployed        the zip with exactly the environment the Edge stack deploys: the variables in the zip's
#                   environment.properties (lambda/src/main/function/), JAVA_TOOL_OPTIONS handed to the JVM
#                   as Lambda hands it, /var/task mapped to the unpacked copy
#   before          the same code packaged and started as until 2026-12-03: no JVM flags, ONNX Runtime's
#                   natives inside its jar (extracted to /tmp when it loads)
#   appcds_temurin  deployed + an AppCDS archive made by THIS JDK from one training run, and
#   aot_temurin     deployed + a JDK 25 AOT cache (record, then create) made by THIS JDK: indications only.
#                   A deployed archive must come from the runtime's own JDK, and a CDS archive turns off the
#                   AOT cache the java25 runtime ships for its client (docs/lambda.md)
#   djl_pytorch     bench's DjlLambdaHandler, unchanged: DJL + PyTorch on the training weights, natives
#                   unpacked into an empty DJL cache each run, as in a fresh environment's /tmp
#   floor_noop      the deployed flags with a handler that does nothing (compiled here): the JVM and the
#                   runtime client alone, i.e. the part of every variant that no function code can remove
# Usage: bench/lambda-coldstart.sh [ROUNDS] [MODEL_DIR] [NAME]  -> bench/results/lambda-coldstart-<date>[-NAME].json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
ROUNDS=${1:-8}
MODEL=${2:-$ROOT/inference/src/test/resources/fixtures/small-v1}
OUT="$ROOT/bench/results/lambda-coldstart-$(date -u +%Y-%m-%d)${3:+-$3}.json"
TMP=$(mktemp -d)
trap 'status=$?; [ "$status" = 0 ] || tail -n 40 "$TMP/stderr.log" >&2; rm -rf "$TMP"' EXIT
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package dependency:build-classpath -DskipTests -pl lambda -am \
  -Dmdep.outputFile="$TMP/lambda.cp" -Dmdep.includeScope=test >/dev/null
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package dependency:build-classpath -DskipTests -pl bench -am \
  -Dmdep.outputFile="$TMP/bench.cp" -Dmdep.includeScope=runtime >/dev/null
ZIP="$ROOT/lambda/target/mnist-lambda-x86_64.zip"
mkdir "$TMP/task" && (cd "$TMP/task" && unzip -q "$ZIP")
# The environment the stack deploys, from the zip itself, as -Dlambda.env.NAME=value for LambdaColdStart.
mapfile -t DEPLOYED_ENV < <(python3 - "$TMP/task/environment.properties" "$TMP/task" <<'PY'
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        name, value = line.split("=", 1)
        print(f"-Dlambda.env.{name.strip()}={value.strip().replace('/var/task', sys.argv[2])}")
PY
)
TOOL_OPTIONS=$(printf '%s\n' "${DEPLOYED_ENV[@]}" | sed -n 's/^-Dlambda.env.JAVA_TOOL_OPTIONS=//p')
# "before": the same jars, but ONNX Runtime's jar with its linux-x64 natives inside, as the zip was built until now.
cp -r "$TMP/task" "$TMP/task-before" && rm -r "$TMP/task-before/native"
python3 - "$TMP/task-before/lib" "$TMP/task/native" <<'PY'
import sys, zipfile, pathlib
lib = pathlib.Path(sys.argv[1]); classes = next(lib.glob("onnxruntime-*-classes.jar"))
out = lib / classes.name.replace("-classes.jar", "-linux-x64.jar")
with zipfile.ZipFile(classes) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        dst.writestr(item, src.read(item.filename))
    for so in sorted(pathlib.Path(sys.argv[2]).iterdir()):
        dst.write(so, "ai/onnxruntime/native/linux-x64/" + so.name)
classes.unlink()
PY
# What the managed runtime has on its own classpath: the client and what it needs. The function's jars stay in
# the task root, loaded by the client's class loader as on Lambda.
CHILD_CP=$(tr ':' '\n' < "$TMP/lambda.cp" \
  | grep -E '/aws-lambda-java-(runtime-interface-client|serialization|core)/|/software/amazon/awssdk/utils-lite/' | paste -sd:)
BENCH_CP="$ROOT/lambda/target/test-classes:$ROOT/lambda/target/classes:$(cat "$TMP/lambda.cp")"
run() { # label, task root, -D options for LambdaColdStart...; prints "label wall_ms cpu_ms"
  "$JAVA_HOME/bin/java" -Dsun.net.httpserver.nodelay=true "${@:3}" -cp "$BENCH_CP" \
    org.mnistpipeline.lambda.LambdaColdStart "$1" 1 "$CHILD_CP" "$2" "$MODEL" 2>>"$TMP/stderr.log"
}
deployed_with() { # label, extra JVM options appended to the deployed JAVA_TOOL_OPTIONS
  local extra=("${DEPLOYED_ENV[@]}")
  extra=("${extra[@]/#-Dlambda.env.JAVA_TOOL_OPTIONS=*/-Dlambda.env.JAVA_TOOL_OPTIONS=$TOOL_OPTIONS $2}")
  run "$1" "$TMP/task" "${extra[@]}"
}
# Training runs for the indications (the deployed configuration plus the archive's own flags).
deployed_with cds_training "-XX:ArchiveClassesAtExit=$TMP/app.jsa -Xlog:cds=off -Xlog:aot=off" >/dev/null
deployed_with aot_training "-XX:AOTMode=record -XX:AOTConfiguration=$TMP/app.aotconf -Xlog:aot=off -Xlog:cds=off" >/dev/null
JAVA_TOOL_OPTIONS="$TOOL_OPTIONS" "$JAVA_HOME/bin/java" -XX:AOTMode=create -XX:AOTConfiguration="$TMP/app.aotconf" \
  -XX:AOTCache="$TMP/app.aot" -cp "$CHILD_CP" -Xlog:aot=off -Xlog:cds=off >>"$TMP/stderr.log" 2>&1
# The floor: a function whose handler answers at once (no model, no JSON).
mkdir -p "$TMP/noop/src" "$TMP/noop/task/lib"
cat > "$TMP/noop/src/NoopHandler.java" <<'JAVA'
public class NoopHandler implements com.amazonaws.services.lambda.runtime.RequestStreamHandler {
    public void handleRequest(java.io.InputStream in, java.io.OutputStream out,
            com.amazonaws.services.lambda.runtime.Context context) throws java.io.IOException {
        in.readAllBytes();
        out.write("{\"statusCode\":200}".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
JAVA
"$JAVA_HOME/bin/javac" --release 21 -d "$TMP/noop/classes" -cp "$CHILD_CP" "$TMP/noop/src/NoopHandler.java"
"$JAVA_HOME/bin/jar" cf "$TMP/noop/task/lib/noop.jar" -C "$TMP/noop/classes" .
DJL_CP="$CHILD_CP:$ROOT/bench/target/mnist-bench.jar:$(cat "$TMP/bench.cp")"
mkdir "$TMP/empty-task"
for round in $(seq 1 "$ROUNDS"); do
  run before "$TMP/task-before"
  run deployed "$TMP/task" "${DEPLOYED_ENV[@]}"
  deployed_with appcds_temurin "-XX:SharedArchiveFile=$TMP/app.jsa"
  deployed_with aot_temurin "-XX:AOTCache=$TMP/app.aot"
  run floor_noop "$TMP/noop/task" "${DEPLOYED_ENV[@]}" -Dlambda.handler=NoopHandler::handleRequest
  rm -rf "$TMP/djl-cache" && mkdir "$TMP/djl-cache"
  DJL_CACHE_DIR="$TMP/djl-cache" "$JAVA_HOME/bin/java" -Dsun.net.httpserver.nodelay=true \
    -Dlambda.handler=org.mnistpipeline.bench.DjlLambdaHandler::handleRequest -cp "$BENCH_CP" \
    org.mnistpipeline.lambda.LambdaColdStart djl_pytorch 1 "$DJL_CP" "$TMP/empty-task" \
    "$ROOT/export/src/test/resources/fixtures/small-v1" -Dai.djl.offline=true 2>>"$TMP/stderr.log"
done | tee "$TMP/runs.txt"
djl_unpacked=$(du -sb "$TMP/djl-cache" | cut -f1)
djl_cp_bytes=$(tr ':' '\n' < "$TMP/bench.cp" | xargs du -cb | tail -n1 | cut -f1)
python3 - "$TMP/runs.txt" "$ZIP" "$TMP/task" "$TMP/app.jsa" "$TMP/app.aot" \
  "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n1)" \
  "$OUT" "$djl_unpacked" "$djl_cp_bytes" \
  "$TOOL_OPTIONS" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(lscpu | sed -n 's/^Model name: *//p')" <<'PY'
import sys, json, statistics, collections, datetime, os
wall, cpu, order = collections.defaultdict(list), collections.defaultdict(list), []
for line in open(sys.argv[1]):
    k, w, c = line.split(); wall[k].append(int(w)); cpu[k].append(int(c)); order.append(k)
med = {k: statistics.median(v) for k, v in wall.items()}
rounds = list(zip(wall["deployed"], wall["djl_pytorch"]))
unzipped = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[3]) for f in fs)
res = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
       "cpu_model": sys.argv[13], "java": sys.argv[6],
       "load_average_1_5_15": {"start": sys.argv[11], "end": sys.argv[12]},
       "what": "wall ms from JVM process start to the first response posted to a loopback Runtime API (runtime "
               "interface client 2.10.1, unzipped x86_64 zip as task root, fixture model, one PNG); cpu_ms: the "
               "child's CPU time (all threads) at that moment; one run of each variant per round",
       "deployed_java_tool_options": sys.argv[10].replace(sys.argv[3], "/var/task"),
       "runs_ms": wall, "cpu_ms": cpu, "median_ms": med,
       "median_cpu_ms": {k: statistics.median(v) for k, v in cpu.items()},
       "djl_over_deployed": {"of_medians": round(med["djl_pytorch"] / med["deployed"], 2),
                             "median_of_rounds": round(statistics.median(d / s for s, d in rounds), 2)},
       "deployed_over_before": round(med["deployed"] / med["before"], 3),
       "median_over_floor_ms": {k: v - med["floor_noop"] for k, v in med.items() if k != "floor_noop"},
       "zip_bytes": os.path.getsize(sys.argv[2]), "unzipped_bytes": unzipped,
       "appcds_archive_bytes": os.path.getsize(sys.argv[4]), "aot_cache_bytes": os.path.getsize(sys.argv[5]),
       "djl_pytorch_unpacked_natives_bytes": int(sys.argv[8]),
       "djl_pytorch_runtime_classpath_bytes": int(sys.argv[9])}
json.dump(res, open(sys.argv[7], "w"), indent=2)
print(json.dumps({k: res[k] for k in ("median_ms", "median_cpu_ms", "djl_over_deployed", "deployed_over_before",
                                      "median_over_floor_ms", "load_average_1_5_15")}, indent=2))
PY
