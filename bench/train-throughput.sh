#!/usr/bin/env bash
# Training throughput, Java (this project) vs PyTorch from Python, side by side in one run, for
# the reference CNN of the PyTorch MNIST example at batch 64 (and the small CNN at batch 128).
# Needs Debian's python3-torch and libopenblas0-pthread (see ../shared/bench/README.md).
# Usage: bench/train-throughput.sh [IMAGES]   -> bench/results/train-throughput-<date>.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IMAGES=${1:-12800}
JAVA_HOME="$("$ROOT/scripts/find-jdk")"
DATA="$("$ROOT/mnist" data fetch 2>/dev/null)"
"$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl bench -am
BASELINE="$ROOT/../shared/bench/pytorch_mnist_baseline.py"
OUT="$ROOT/bench/results"; mkdir -p "$OUT"; TMP=$(mktemp -d)
STAMP=$(date -u +%Y-%m-%d)
OPENBLAS=$(dirname "$(find /usr/lib -name 'libopenblas.so.0' -path '*pthread*' | head -n1)")

java_run() { # arch batch images out
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
java_run reference 64 "$IMAGES" "$TMP/java-ref.json"
py_run ref $((IMAGES / 64)) "$TMP/py-ref-openblas.json" openblas
py_run ref $((IMAGES / 64)) "$TMP/py-ref.json"
java_run small 128 $((IMAGES * 4)) "$TMP/java-small.json"
py_run small $((IMAGES * 4 / 128)) "$TMP/py-small.json"
python3 - "$TMP" "$OUT/train-throughput-$STAMP.json" "$STAMP" <<'PY'
import json, sys, os, platform
tmp, out, stamp = sys.argv[1:4]
load = lambda n: json.load(open(os.path.join(tmp, n)))
def py_ips(d):
    e = d.get("epochs") or d.get("train") or []
    if isinstance(e, list) and e: return e[0].get("train_images_per_s")
    return d.get("train_images_per_s")
r = {"date": stamp, "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
     "ref_batch64": {"java": load("java-ref.json")["train_images_per_s"],
                     "pytorch_openblas": py_ips(load("py-ref-openblas.json")),
                     "pytorch_reference_blas": py_ips(load("py-ref.json"))},
     "small_batch128": {"java": load("java-small.json")["train_images_per_s"],
                        "pytorch": py_ips(load("py-small.json"))}}
for k in ("ref_batch64", "small_batch128"):
    v = r[k]; best = max(x for n, x in v.items() if n != "java" and x)
    v["java_over_best_pytorch"] = v["java"] / best
json.dump(r, open(out, "w"), indent=2)
print(json.dumps(r, indent=2))
PY
