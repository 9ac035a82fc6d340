#!/usr/bin/env bash
# A/B of the model server: this working tree against an earlier revision, side by side on the same
# machine at the same time, single-image PNG requests at concurrency 1, 16 and 64 (batching on,
# monitoring on, the JVM flags of `mnist serve`). Besides wrk's figures it reads each server's GC
# log for the heap allocated per request and the number and length of collection pauses.
# Both servers are warmed until their JIT is idle (bench/lib/http.sh); rounds alternate A and B.
# Usage: bench/http-ab.sh REVISION [SECONDS] [ROUNDS]  -> bench/results/http-ab-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REV=${1:?usage: bench/http-ab.sh REVISION [SECONDS] [ROUNDS]}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
SERVER_JAVA_OPTS=${MNIST_SERVER_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC} # as ./mnist serve
TMP=$(mktemp -d); OLD="$ROOT/bench/target/ab-$(git -C "$ROOT" rev-parse --short "$REV")"
. "$ROOT/bench/lib/http.sh"
prepare
if [ ! -f "$OLD/server/target/mnist-server.jar" ]; then
  rm -rf "$OLD"; git -C "$ROOT" worktree add --force --detach "$OLD" "$REV" >/dev/null
  "$OLD/mvnw" -q -B -f "$OLD/pom.xml" package -DskipTests -pl server -am
fi

declare -A TREE=([A]="$OLD" [B]="$ROOT") PORT=([A]=18082 [B]=18083) PID=()
trap stop_servers EXIT
for v in A B; do
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" $SERVER_JAVA_OPTS -Xlog:gc:file="$TMP/gc-$v.log" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "${TREE[$v]}/server/target/mnist-server.jar:${TREE[$v]}/server/target/lib/*" org.mnistpipeline.server.ServerMain \
    --port "${PORT[$v]}" --model-dir "$ROOT/server/src/test/resources/fixtures/small-v1" \
    --monitor-dir "$TMP/monitoring-$v" > "$TMP/server-$v.log" 2>&1 &
  PID[$v]=$!
  wait_ready "${PORT[$v]}"
done
for v in A B; do echo "$v warmed up in $(warm_up "${PORT[$v]}" "${PID[$v]}") s"; done
lines=()
for round in $(seq 1 "$ROUNDS"); do
  for c in 1 16 64; do
    for v in A B; do
      mark=$(wc -l < "$TMP/gc-$v.log")
      line=$(wrk_png "${PORT[$v]}" "$c" "$SECONDS_PER_RUN")
      # Young-collection lines of this run only: "... 230M->5M(380M) 4.297ms"
      gc=$(tail -n +"$((mark + 1))" "$TMP/gc-$v.log" | grep 'Pause Young' | python3 -c '
import re, sys
freed = pauses = 0; longest = total = 0.0
for line in sys.stdin:
    m = re.search(r"(\d+)M->(\d+)M\(\d+M\) ([\d.]+)ms", line)
    if m:
        freed += int(m[1]) - int(m[2]); pauses += 1; total += float(m[3]); longest = max(longest, float(m[3]))
print(f"freed_mib={freed} pauses={pauses} pause_total_ms={total:.1f} pause_max_ms={longest:.1f}")')
      echo "round $round $v c=$c $line $gc"
      lines+=("$v $round $c $line $gc")
    done
  done
done
stop_servers; trap - EXIT
printf '%s\n' "${lines[@]}" | REV="$(git -C "$ROOT" rev-parse --short "$REV")" OPTS="$SERVER_JAVA_OPTS" python3 -c '
import sys, json, datetime, os, statistics, subprocess
runs = []
for line in sys.stdin:
    p = line.split()
    run = {"variant": p[0], "round": int(p[1]), "concurrency": int(p[2])}
    run.update({k: float(v) for k, v in (x.split("=") for x in p[3:])})
    run["kib_per_request"] = round(run["freed_mib"] * 1024 / run["requests"], 1)
    runs.append(run)
med = []
for c in (1, 16, 64):
    for v in ("A", "B"):
        rs = [r for r in runs if r["variant"] == v and r["concurrency"] == c]
        med.append({"variant": v, "concurrency": c, **{k: statistics.median(r[k] for r in rs)
                    for k in ("rps", "p50_ms", "p99_ms", "p999_ms", "kib_per_request", "pauses", "pause_max_ms")}})
out = {"date": datetime.date.today().isoformat(), "A": os.environ["REV"], "B": "working tree",
       "server_java_opts": os.environ["OPTS"], "rounds": runs, "median": med}
print(json.dumps(out, indent=2))' > "$ROOT/bench/results/http-ab-$(date -u +%Y-%m-%d).json"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("A =", r["A"], " B = working tree; medians:")
for m in r["median"]:
    print("  %s c=%-3d %8.1f req/s  p50 %.3f  p99 %.3f  p99.9 %.3f ms  %6.1f KiB/request  %d pauses (max %.1f ms)" % (
        m["variant"], m["concurrency"], m["rps"], m["p50_ms"], m["p99_ms"], m["p999_ms"], m["kib_per_request"],
        m["pauses"], m["pause_max_ms"]))' "$ROOT/bench/results/http-ab-$(date -u +%Y-%m-%d).json"
