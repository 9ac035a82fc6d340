#!/usr/bin/env bash
# A/B of the Lambda cold start (as bench/lambda-coldstart.sh measures it: a fresh JVM runs AWS's
# runtime interface client on the unzipped deployment zip against a loopback Runtime API, timed
# from process start to the first response posted): this working tree against an earlier
# revision, interleaved run by run so that both see the same bursts of a shared machine. Variants:
# plain, and AppCDS + C1 (what a tuned function runs). Without the DJL comparison.
# Usage: bench/lambda-coldstart-ab.sh REVISION [ROUNDS]  -> bench/results/lambda-coldstart-ab-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REV=${1:?usage: bench/lambda-coldstart-ab.sh REVISION [ROUNDS]}
ROUNDS=${2:-8}
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
TMP=$(mktemp -d); OLD="$ROOT/bench/target/ab-$(git -C "$ROOT" rev-parse --short "$REV")"
[ -d "$OLD" ] || git -C "$ROOT" worktree add --force --detach "$OLD" "$REV" >/dev/null
declare -A TREE=([A]="$OLD" [B]="$ROOT")
for v in A B; do
  T=${TREE[$v]}; mkdir -p "$TMP/$v/task"
  "$T/mvnw" -q -B -f "$T/pom.xml" package dependency:build-classpath -DskipTests -pl lambda -am \
    -Dmdep.outputFile="$TMP/$v/lambda.cp" -Dmdep.includeScope=test >/dev/null
  (cd "$TMP/$v/task" && unzip -q "$T/lambda/target/mnist-lambda-x86_64.zip")
done
# One child classpath for both: the runtime interface client and what it needs (as lambda-coldstart.sh).
CHILD_CP=$(tr ':' '\n' < "$TMP/B/lambda.cp" \
  | grep -E '/aws-lambda-java-(runtime-interface-client|serialization|core)/|/software/amazon/awssdk/utils-lite/' | paste -sd:)
MODEL="$ROOT/inference/src/test/resources/fixtures/small-v1"
measure() { # tree, label, child JVM flags...
  local T=${TREE[$1]}
  "$JAVA_HOME/bin/java" -Dsun.net.httpserver.nodelay=true -cp "$T/lambda/target/test-classes:$T/lambda/target/classes:$(cat "$TMP/$1/lambda.cp")" \
    org.mnistpipeline.lambda.LambdaColdStart "$2" 1 "$CHILD_CP" "$TMP/$1/task" "$MODEL" "${@:3}" | grep -E "^$2 [0-9]"
}
for v in A B; do measure "$v" cds_training -XX:ArchiveClassesAtExit="$TMP/$v/app.jsa" -Xlog:cds=off -Xlog:aot=off >/dev/null; done
for round in $(seq 1 "$ROUNDS"); do
  for v in A B; do
    echo "$v $round $(measure "$v" plain)"
    echo "$v $round $(measure "$v" appcds_c1 -XX:SharedArchiveFile="$TMP/$v/app.jsa" -XX:TieredStopAtLevel=1)"
  done
done | tee "$TMP/runs.txt"
REV="$(git -C "$ROOT" rev-parse --short "$REV")" python3 - "$TMP/runs.txt" \
  "$ROOT/bench/results/lambda-coldstart-ab-$(date -u +%Y-%m-%d).json" <<'PY'
import sys, json, os, statistics, collections, datetime
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    v, rnd, label, ms = line.split(); runs[f"{v} {label}"].append(int(ms))
med = {k: statistics.median(v) for k, v in runs.items()}
res = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(), "A": os.environ["REV"], "B": "working tree",
       "what": "wall ms from JVM start to the first response posted (runtime interface client, unzipped zip, fixture"
               " model, one PNG); A and B alternate run by run",
       "runs_ms": runs, "median_ms": med,
       "ratio_B_over_A": {l: round(med[f"B {l}"] / med[f"A {l}"], 3) for l in ("plain", "appcds_c1")}}
json.dump(res, open(sys.argv[2], "w"), indent=2)
print(json.dumps({"median_ms": med, "ratio_B_over_A": res["ratio_B_over_A"]}, indent=2))
PY
