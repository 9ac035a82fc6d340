#!/usr/bin/env bash
# A/B of the Lambda cold start as each revision deploys it (as bench/lambda-coldstart.sh measures it: a fresh
# JVM runs AWS's runtime interface client on the unzipped deployment zip against a loopback Runtime API,
# timed from process start to the first response posted, with the child's CPU time then): this working tree
# against an earlier revision, interleaved run by run so that both see the same bursts of a shared machine.
# Each side runs its own zip with its own environment.properties (none before the zip carried one: no JVM
# flags); the harness (LambdaColdStart, the loopback API) is this tree's for both, so only the function differs.
# Usage: bench/lambda-coldstart-ab.sh REVISION [ROUNDS] [NAME]  -> bench/results/lambda-coldstart-ab-<date>[-NAME].json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REV=${1:?usage: bench/lambda-coldstart-ab.sh REVISION [ROUNDS]}
ROUNDS=${2:-8}
OUT="$ROOT/bench/results/lambda-coldstart-ab-$(date -u +%Y-%m-%d)${3:+-$3}.json"
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
TMP=$(mktemp -d); OLD="$ROOT/bench/target/ab-$(git -C "$ROOT" rev-parse --short "$REV")"
trap 'status=$?; [ "$status" = 0 ] || tail -n 40 "$TMP/stderr.log" >&2; rm -rf "$TMP"' EXIT
[ -d "$OLD" ] || git -C "$ROOT" worktree add --force --detach "$OLD" "$REV" >/dev/null
declare -A TREE=([A]="$OLD" [B]="$ROOT")
for v in A B; do
  T=${TREE[$v]}; mkdir -p "$TMP/$v/task"
  "$T/mvnw" -q -B -f "$T/pom.xml" package dependency:build-classpath -DskipTests -pl lambda -am \
    -Dmdep.outputFile="$TMP/$v/lambda.cp" -Dmdep.includeScope=test >/dev/null
  (cd "$TMP/$v/task" && unzip -q "$T/lambda/target/mnist-lambda-x86_64.zip")
  # The side's deployed environment as -Dlambda.env.NAME=value lines (/var/task mapped to its task root).
  python3 - "$TMP/$v/task" > "$TMP/$v/env" <<'PY'
import sys, pathlib
task = pathlib.Path(sys.argv[1]); props = task / "environment.properties"
for line in (props.read_text(encoding="utf-8").splitlines() if props.exists() else []):
    line = line.strip()
    if line and not line.startswith("#"):
        name, value = line.split("=", 1)
        print(f"-Dlambda.env.{name.strip()}={value.strip().replace('/var/task', str(task))}")
PY
done
# One child classpath for both: the runtime interface client and what it needs (as lambda-coldstart.sh).
CHILD_CP=$(tr ':' '\n' < "$TMP/B/lambda.cp" \
  | grep -E '/aws-lambda-java-(runtime-interface-client|serialization|core)/|/software/amazon/awssdk/utils-lite/' | paste -sd:)
BENCH_CP="$ROOT/lambda/target/test-classes:$ROOT/lambda/target/classes:$(cat "$TMP/B/lambda.cp")"
MODEL="$ROOT/inference/src/test/resources/fixtures/small-v1"
measure() { # side
  local env=(); mapfile -t env < "$TMP/$1/env"
  "$JAVA_HOME/bin/java" -Dsun.net.httpserver.nodelay=true "${env[@]}" -cp "$BENCH_CP" \
    org.mnistpipeline.lambda.LambdaColdStart deployed 1 "$CHILD_CP" "$TMP/$1/task" "$MODEL" 2>>"$TMP/stderr.log"
}
for round in $(seq 1 "$ROUNDS"); do
  for v in A B; do echo "$v $round $(measure "$v")"; done
done | tee "$TMP/runs.txt"
REV="$(git -C "$ROOT" rev-parse --short "$REV")" python3 - "$TMP/runs.txt" \
  "$OUT" "$TMP/A/env" "$TMP/B/env" "$TMP" <<'PY'
import sys, json, os, statistics, collections, datetime
wall, cpu = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    v, rnd, label, ms, cpu_ms = line.split(); wall[v].append(int(ms)); cpu[v].append(int(cpu_ms))
med = {v: statistics.median(x) for v, x in wall.items()}
env = {v: [l.strip().replace(sys.argv[5], "") for l in open(p)] for v, p in (("A", sys.argv[3]), ("B", sys.argv[4]))}
res = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(), "load_average_1_5_15": open("/proc/loadavg").read().split()[:3],
       "A": os.environ["REV"], "B": "working tree", "environment": env,
       "what": "wall ms from JVM start to the first response posted (runtime interface client, unzipped zip with its own"
               " environment.properties, fixture model, one PNG), and the child's CPU ms then; A and B alternate run by run",
       "runs_ms": wall, "cpu_ms": cpu, "median_ms": med, "median_cpu_ms": {v: statistics.median(x) for v, x in cpu.items()},
       "ratio_B_over_A": round(med["B"] / med["A"], 3),
       "median_of_round_ratios": round(statistics.median(b / a for a, b in zip(wall["A"], wall["B"])), 3)}
json.dump(res, open(sys.argv[2], "w"), indent=2)
print(json.dumps({k: res[k] for k in ("median_ms", "median_cpu_ms", "ratio_B_over_A", "median_of_round_ratios")}, indent=2))
PY
