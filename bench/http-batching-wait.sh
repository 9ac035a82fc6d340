#!/usr/bin/env bash
# How long should the batcher wait for company? Four `mnist serve` instances side by side,
# --max-wait-us 0, 100 and 500 and --no-batching, each warmed until its JIT is idle
# (bench/lib/http.sh), then ROUNDS rounds of single-PNG load at concurrency 1, 16 and 64, the
# variants taking turns within each round.
# Usage: bench/http-batching-wait.sh [SECONDS] [ROUNDS]  -> bench/results/batching-wait-<date>.txt
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_PER_RUN=${1:-8}
ROUNDS=${2:-2}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
TMP=$(mktemp -d); OUT="$ROOT/bench/results/batching-wait-$(date -u +%Y-%m-%d).txt"
. "$ROOT/bench/lib/http.sh"
prepare
"$ROOT/mnist" --help >/dev/null # builds the CLI now, not while a server is being timed

VARIANTS=(wait-0us wait-100us wait-500us no-batching)
declare -A PORT=([wait-0us]=18110 [wait-100us]=18111 [wait-500us]=18112 [no-batching]=18113) PID=()
declare -A ARGS=([wait-0us]="--max-wait-us 0" [wait-100us]="--max-wait-us 100" [wait-500us]="--max-wait-us 500"
  [no-batching]="--no-batching")
trap stop_servers EXIT
for v in "${VARIANTS[@]}"; do
  # shellcheck disable=SC2086
  "$ROOT/mnist" serve --port "${PORT[$v]}" --model-dir "$ROOT/server/src/test/resources/fixtures/small-v1" \
    --monitor-dir "$TMP/monitoring-$v" ${ARGS[$v]} > "$TMP/server-$v.log" 2>&1 &
  PID[$v]=$!
  wait_ready "${PORT[$v]}"
done
{
  echo "# batching wait, $(date -u +%FT%TZ), $(nproc) CPUs, wrk on the same machine, ${SECONDS_PER_RUN} s per run"
  for v in "${VARIANTS[@]}"; do echo "# $v warmed up in $(warm_up "${PORT[$v]}" "${PID[$v]}") s"; done
  for round in $(seq 1 "$ROUNDS"); do
    for c in 1 16 64; do
      for v in "${VARIANTS[@]}"; do
        printf 'round %d c=%-2d %-12s %s\n' "$round" "$c" "$v" "$(wrk_png "${PORT[$v]}" "$c" "$SECONDS_PER_RUN")"
      done
    done
  done
} | tee "$OUT"
