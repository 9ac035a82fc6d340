#!/usr/bin/env bash
# The default `mnist train` (strong preset) for several seeds: test accuracy, wall time and peak
# memory of each run, and the median. Target: median >= 99.5 % within 15 minutes, peak RSS < 2 GiB.
# Usage: bench/train-accuracy.sh [SEEDS...]     (default seeds 1 2 3); a second run the same day overwrites
#        -> bench/results/train-strong-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SEEDS=("${@:-1 2 3}"); [ $# -eq 0 ] && SEEDS=(1 2 3)
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
STAMP=$(date -u +%Y-%m-%d)
TMP=$(mktemp -d)
"$ROOT/mnist" data fetch >/dev/null
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
for seed in "${SEEDS[@]}"; do
  start=$(date +%s.%N)
  MNIST_HOME="$TMP/home-$seed" /usr/bin/time -v -o "$TMP/time-$seed.txt" \
    "$ROOT/mnist" train --seed "$seed" --json > "$TMP/train-$seed.out" 2> "$TMP/train-$seed.err"
  end=$(date +%s.%N)
  echo "$start $end" > "$TMP/wall-$seed.txt"
  grep -h '^epoch=' "$TMP/train-$seed.out" | tail -n 1
done
python3 - "$TMP" "$OUT/train-strong-$STAMP.json" "$STAMP" "${SEEDS[@]}" <<'PY'
import json, sys, os, re, statistics, platform
tmp, out, stamp, *seeds = sys.argv[1:]
runs = []
for s in seeds:
    text = open(os.path.join(tmp, f"train-{s}.out")).read()
    summary = json.loads(text[text.index("{\n"):])
    start, end = map(float, open(os.path.join(tmp, f"wall-{s}.txt")).read().split())
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(os.path.join(tmp, f"time-{s}.txt")).read()).group(1))
    runs.append({"seed": int(s), "test_accuracy": summary["test_accuracy"], "epochs": summary["epochs"],
                 "training_seconds": summary["training_seconds"], "wall_seconds": end - start,
                 "peak_rss_mib": rss_kb / 1024})
res = {"date": stamp, "command": "mnist train --seed S (strong preset)", "cpus": os.cpu_count(),
       "machine": platform.machine(), "runs": runs,
       "median_test_accuracy": statistics.median(r["test_accuracy"] for r in runs),
       "max_wall_seconds": max(r["wall_seconds"] for r in runs),
       "max_peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
