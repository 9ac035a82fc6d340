#!/usr/bin/env bash
# Soak: SECONDS (default 600) of mixed traffic at CONCURRENCY (default 64) against `./mnist serve`
# backed by a registry (MNIST_HOME in a temp dir, the fixture model registered as v1 and v2), with
# production promoted to the other version every PROMOTE_EVERY seconds (default 60) through
# `./mnist models promote`, as an operator would. Traffic (server test class SoakLoad): 56 of 64
# clients send real digits (label checked), 6 the hostile corpus, 2 its maximum-size cases; a 503
# with Retry-After is waited out and sent again. Asserts nothing itself: it saves the figures (sent,
# answered, final statuses, wrong answers, versions seen, transport errors on valid digits, server RSS
# and the machine's load average every 5 s) for reading.
# Usage: bench/soak.sh [SECONDS] [CONCURRENCY] [PROMOTE_EVERY]  -> bench/results/soak-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_TOTAL=${1:-600}
CONCURRENCY=${2:-64}
PROMOTE_EVERY=${3:-60}
PORT=${SOAK_PORT:-18090}
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
TMP=$(mktemp -d)
export MNIST_HOME="$TMP/home"
MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}" "$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" test-compile \
  dependency:build-classpath -pl server -am -Dmdep.includeScope=test -Dmdep.outputFile="$TMP/cp.txt" >/dev/null
CP="$ROOT/server/target/test-classes:$ROOT/server/target/classes:$ROOT/inference/target/test-classes"
CP="$CP:$ROOT/inference/target/classes:$ROOT/core/target/classes:$(cat "$TMP/cp.txt")"
"$ROOT/mnist" --help >/dev/null # builds the CLI and the server when sources changed
read -r V1 V2 < <("$JAVA_HOME/bin/java" -cp "$CP" org.mnistpipeline.server.SoakLoad setup | tail -n1)
echo "registry: $V1 and $V2, production -> $V1"
"$ROOT/mnist" serve --port "$PORT" --monitor-dir "$TMP/monitoring" > "$TMP/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/ping" >/dev/null || { echo "server did not start"; cat "$TMP/server.log"; exit 1; }
# The server's JVM is the child of the `mnist` script's exec: the same pid.
OUT="$ROOT/bench/results/soak-$(date -u +%Y-%m-%d).json"
"$JAVA_HOME/bin/java" -Xmx2g -cp "$CP" org.mnistpipeline.server.SoakLoad run "http://127.0.0.1:$PORT" \
  "$SECONDS_TOTAL" "$CONCURRENCY" "$SERVER" "$TMP/load.json" &
LOAD=$!
trap 'kill -TERM $LOAD $SERVER 2>/dev/null || true; wait $LOAD $SERVER 2>/dev/null || true' EXIT
promotions=0
next=$V2
start=$(date +%s)
# Promotions on a fixed schedule (start + k * PROMOTE_EVERY), so the time `mnist models promote`
# itself takes (a JVM start) does not stretch the interval; none at the very end of the run.
for at in $(seq "$PROMOTE_EVERY" "$PROMOTE_EVERY" $((SECONDS_TOTAL - 1))); do
  wait_s=$(( start + at - $(date +%s) ))
  [ "$wait_s" -gt 0 ] && sleep "$wait_s"
  "$ROOT/mnist" models promote "$next" >/dev/null
  promotions=$((promotions + 1))
  echo "$(date -u +%H:%M:%S) production -> $next (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  if [ "$next" = "$V2" ]; then next=$V1; else next=$V2; fi
done
wait $LOAD
reloads=$(curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^mnist_model_reloads_total/ {print $2}')
trap - EXIT; kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
errors=$(grep -c ' ERROR ' "$TMP/server.log" || true)
oom=$(grep -c 'OutOfMemoryError' "$TMP/server.log" || true)
PROMOTIONS=$promotions RELOADS=${reloads:-0} ERRORS=$errors OOM=$oom SERVER_OPTS="${MNIST_SERVER_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}" \
  python3 - "$TMP/load.json" "$OUT" <<'PY'
import json, os, sys, datetime
r = json.load(open(sys.argv[1]))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rss = [m for _, m in r["rss_mib_every_5s"] if m > 0]
third = max(1, len(rss) // 3)
load = [l for _, l in r["load_average_1m_every_5s"]]
r.update({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "machine": f"{os.cpu_count()} vCPU {cpu}", "server_java_opts": os.environ["SERVER_OPTS"],
          "promotions": int(os.environ["PROMOTIONS"]), "reloads_counted_by_server": float(os.environ["RELOADS"]),
          "server_log_error_lines": int(os.environ["ERRORS"]), "server_log_out_of_memory": int(os.environ["OOM"]),
          "rss_mib_first_third_mean": round(sum(rss[:third]) / third), "rss_mib_last_third_mean": round(sum(rss[-third:]) / third),
          "rss_mib_middle_third_mean": round(sum(rss[third:2 * third]) / max(1, len(rss[third:2 * third]))),
          "rss_mib_max": max(rss), "rss_mib_min": min(rss),
          "load_average_1m_mean": round(sum(load) / max(1, len(load)), 2), "load_average_1m_max": max(load, default=0)})
json.dump(r, open(sys.argv[2], "w"), indent=2)
print(json.dumps({k: r[k] for k in ("seconds", "sent", "answered", "unanswered", "final_5xx", "wrong_answers",
      "retried_after_503", "retried_after_transport_error", "transport_errors_on_valid_digits", "requests_per_second",
      "promotions", "reloads_counted_by_server", "model_versions_answering", "rss_mib_first_third_mean",
      "rss_mib_middle_third_mean", "rss_mib_last_third_mean", "rss_mib_max", "server_log_out_of_memory",
      "load_average_1m_mean", "load_average_1m_max")}, indent=1))
PY
echo "saved $OUT"
