#!/usr/bin/env bash
# Training throughput, Java (this project) vs PyTorch from Python, side by side in one run, for
# the reference CNN of the PyTorch MNIST example at batch 64, in alternating rounds.
# Needs Debian's python3-torch and libopenblas0-pthread (see ../shared/bench/README.md).
# Usage: bench/train-throughput.sh [IMAGES]   -> bench/results/train-throughput-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IMAGES=${1:-12800}
export JAVA_HOME="$("$ROOT/scripts/find-jdk")"
DATA="$("$ROOT/mnist" data fetch 2>/dev/null)"
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl bench -am
BASELINE="$ROOT/../shared/bench/pytorch_mnist_baseline.py"
OUT="$ROOT/bench/results"; mkdir -p "$OUT"; TMP=$(mktemp -d)
STAMP=$(date -u +%Y-%m-%d)
OPENBLAS=$(dirname "$(find /usr/lib -name 'libopenblas.so.0' -path '*pthread*' | head -n1)")

java_run() { # arch batch images out  (with the allocator settings ./mnist uses)
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456 \
  TORCH_CPP_LOG_LEVEL=ERROR "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
    org.mnistpipeline.bench.TrainThroughput "$@"
}
py_run() { # model batches out [openblas]
  if [ "${4:-}" = openblas ]; then
    LD_LIBRARY_PATH="$OPENBLAS" OPENBLAS_NUM_THREADS=2 /usr/bin/python3 "$BASELINE" --model "$1" --epochs 1 \
      --threads 2 --data-dir "$DATA" --limit-batches "$2" --out "$3" | grep -i 'images/s\|img/s' || true
  else
    /usr/bin/python3 "$BASELINE" --model "$1" --epochs 1 --threads 2 --data-dir "$DATA" --limit-batches "$2" \
      --out "$3" | grep -i 'images/s\|img/s' || true
  fi
}
REPEATS=${REPEATS:-3}
# Alternate the contestants so drift on a shared machine hits both alike; report every round.
for r in $(seq 1 "$REPEATS"); do
  java_run reference 64 "$IMAGES" "$TMP/java-ref-$r.json"
  py_run ref $((IMAGES / 64)) "$TMP/py-ref-openblas-$r.json" openblas
  py_run ref $((IMAGES / 64)) "$TMP/py-ref-$r.json"
done
python3 - "$TMP" "$OUT/train-throughput-$(date -u +%Y-%m-%dT%H%M).json" "$STAMP" "$REPEATS" <<'PY'
import json, sys, os, platform, statistics
tmp, out, stamp, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
load = lambda n: json.load(open(os.path.join(tmp, n)))
py = lambda d: d["epochs"][0]["train_images_per_s"]
rounds = []
for r in range(1, repeats + 1):
    j = load(f"java-ref-{r}.json")["train_images_per_s"]
    po = py(load(f"py-ref-openblas-{r}.json"))
    pr = py(load(f"py-ref-{r}.json"))
    rounds.append({"java": j, "pytorch_openblas": po, "pytorch_reference_blas": pr, "java_over_best_pytorch": j / max(po, pr)})
res = {"date": stamp, "what": "training images/s, reference CNN of the PyTorch MNIST example, batch 64, 2 threads",
       "machine": platform.machine(), "cpus": os.cpu_count(), "rounds": rounds,
       "median_java": statistics.median(r["java"] for r in rounds),
       "median_best_pytorch": statistics.median(max(r["pytorch_openblas"], r["pytorch_reference_blas"]) for r in rounds),
       "median_ratio": statistics.median(r["java_over_best_pytorch"] for r in rounds)}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
