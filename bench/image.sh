#!/usr/bin/env bash
# Builds the container image from docker/Dockerfile (through docker/build-local.sh: podman, bases
# assembled from Debian packages) and runs each entry as SageMaker would:
#   train  hyperparameters.json + `train`/`test` channels -> /opt/ml/model; SIGTERM stops it at a
#          checkpoint and a second run resumes from /opt/ml/checkpoints; bad input -> exit code and
#          /opt/ml/output/failure
#   serve  /opt/ml/model mounted read-only, port 8080 published on loopback: /ping, a real MNIST
#          test digit POSTed as PNG to /invocations, the image's HEALTHCHECK, SIGTERM -> exit 0
#   step-runner  under AWS's Lambda runtime interface client against a loopback Runtime API: a step's
#          output as the function's answer, a refused step as a function error named mnist.*
# and measures the image (size, layers) and the time from `podman run` to the first /ping 200
# (median of STARTS starts). Figures go to bench/results/image-DATE.json.
#
#   bench/image.sh            SKIP_BUILD=1 reuses IMAGE; STARTS (default 5); needs root and podman
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
IMAGE=${IMAGE:-localhost/mnist-pipeline:local}
STARTS=${STARTS:-5}
PORT=${PORT:-18080}
DATA=${MNIST_DATA:-$HOME/.cache/mnist-pipeline/data/mnist}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/docker/local/containers.conf}
OUT=bench/results/image-$(date +%F).json
TMP=$(mktemp -d /var/tmp/mnist-image-bench.XXXXXX)
NAME=mnist-image-bench-$$
PASSED=0 FAILED=0

cleanup() {
  local c
  for c in $(podman ps -a --filter "name=$NAME" --format '{{.Names}}' 2>/dev/null); do
    podman rm -f "$c" >/dev/null 2>&1 || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

check() { # check DESCRIPTION COMMAND...: runs the command, counts and prints the result
  local what=$1; shift
  if "$@"; then PASSED=$((PASSED + 1)); echo "ok    $what"; else FAILED=$((FAILED + 1)); echo "FAIL  $what"; fi
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$DATA/$f" ] || { echo "image.sh: $DATA/$f missing (run ./mnist data fetch)" >&2; exit 1; }
done

build_s=null
if [ -z "${SKIP_BUILD:-}" ]; then
  t0=$(now_ms)
  docker/build-local.sh "$IMAGE" > "$TMP/build.log" 2>&1 || { tail -40 "$TMP/build.log"; exit 1; }
  build_s=$(( ($(now_ms) - t0) / 1000 ))
  echo "built $IMAGE in ${build_s} s"
fi

# opt_ml DIR HYPERPARAMETERS [nodata]: an /opt/ml tree as SageMaker lays it out, owned by the
# image's user (uid 10001), with the MNIST files copied into the train and test channels.
opt_ml() {
  mkdir -p "$1"/input/config "$1"/model "$1"/output "$1"/checkpoints
  printf '%s\n' "$2" > "$1/input/config/hyperparameters.json"
  if [ "${3:-}" != nodata ]; then
    mkdir -p "$1"/input/data/train "$1"/input/data/test
    cp "$DATA"/train-* "$1/input/data/train/"
    cp "$DATA"/t10k-* "$1/input/data/test/"
  fi
  chown -R 10001:10001 "$1"
}
# train NAME DIR: runs the train entry in the foreground; its exit code is the container's.
train() { podman run --name "$NAME-$1" -v "$2:/opt/ml" "$IMAGE" train > "$TMP/$1.log" 2>&1; }
exit_code() { podman inspect "$NAME-$1" -f '{{.State.ExitCode}}'; }

echo "== train: hyperparameters, channels, model package"
HP='{"architecture": "small", "epochs": "2", "batch-size": "64", "max-train-images": "2000", "validation-size": "500", "augment": "0"}'
opt_ml "$TMP/job" "$HP"
t0=$(now_ms); train job "$TMP/job" || true; train_s=$(( ($(now_ms) - t0) / 1000 ))
check "train exits 0 (${train_s} s)" test "$(exit_code job)" = 0
check "model package: manifest, model.onnx, SHA256SUMS, report" \
  test -s "$TMP/job/model/manifest.json" -a -s "$TMP/job/model/model.onnx" -a -s "$TMP/job/model/SHA256SUMS" -a -s "$TMP/job/model/report/report.html"
check "manifest records the hyperparameters (epochs 2)" test "$(jq -r .hyperparameters.epochs "$TMP/job/model/manifest.json")" = 2
check "checkpoints in /opt/ml/checkpoints" test -s "$TMP/job/checkpoints/checkpoint.json"
check "no failure file" test ! -e "$TMP/job/output/failure"

echo "== train: SIGTERM stops at a checkpoint, a restart resumes"
opt_ml "$TMP/spot" '{"architecture": "small", "epochs": "5", "batch-size": "64", "max-train-images": "2000", "validation-size": "500", "augment": "0"}'
# podman's complaints about the HEALTHCHECK timer (it wants systemd) go to podman.log.
podman run -d --name "$NAME-spot1" -v "$TMP/spot:/opt/ml" "$IMAGE" train > /dev/null 2>> "$TMP/podman.log"
for _ in $(seq 1 600); do [ -s "$TMP/spot/checkpoints/checkpoint.json" ] && break; sleep 0.2; done
t0=$(now_ms); podman stop -t 110 "$NAME-spot1" > /dev/null 2>> "$TMP/podman.log"; stop_ms=$(( $(now_ms) - t0 ))
podman logs "$NAME-spot1" > "$TMP/spot1.log" 2>&1
stopped_after=$(jq -r .epoch "$TMP/spot/checkpoints/checkpoint.json")
check "SIGTERM: exit 143 within ${stop_ms} ms (no SIGKILL)" test "$(exit_code spot1)" = 143
check "SIGTERM: says where it stopped" grep -q "training stopped by SIGTERM" "$TMP/spot1.log"
check "SIGTERM: checkpoint kept (epoch $stopped_after of 5), no model, no failure file" \
  test "$stopped_after" -ge 1 -a "$stopped_after" -lt 5 -a ! -e "$TMP/spot/model/manifest.json" -a ! -e "$TMP/spot/output/failure"
train spot2 "$TMP/spot" || true
check "restart exits 0" test "$(exit_code spot2)" = 0
check "restart resumes after epoch $stopped_after" grep -q "resuming after epoch $stopped_after" "$TMP/spot2.log"
check "restart trains only the remaining epochs" test "$(grep -c '^epoch=' "$TMP/spot2.log")" = $((5 - stopped_after))
check "resumed model package's training log has all 5 epochs" test "$(wc -l < "$TMP/spot/model/training/metrics.jsonl")" = 5

echo "== train: bad input"
opt_ml "$TMP/bad" '{"epochz": "3"}'
train bad "$TMP/bad" || true
check "unknown hyperparameter: exit 2" test "$(exit_code bad)" = 2
check "unknown hyperparameter: reason in /opt/ml/output/failure" grep -q "^bad hyperparameters.json.*epochz" "$TMP/bad/output/failure"
opt_ml "$TMP/nodata" '{}' nodata
train nodata "$TMP/nodata" || true
check "no train channel: exit 3" test "$(exit_code nodata)" = 3
check "no train channel: reason in /opt/ml/output/failure" grep -q 'train` channel' "$TMP/nodata/output/failure"

echo "== serve"
# The first MNIST test digit (a 7) as a 28x28 greyscale PNG, written with Python's standard library.
python3 - "$DATA/t10k-images-idx3-ubyte" "$TMP/digit.png" <<'PY'
import struct, sys, zlib
pixels = open(sys.argv[1], 'rb').read()[16:16 + 784]
raw = b''.join(b'\x00' + pixels[r * 28:(r + 1) * 28] for r in range(28))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
open(sys.argv[2], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 28, 28, 8, 0, 0, 0, 0))
                              + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
PY
ping_ms=() bare_ms=()
for i in $(seq 1 "$STARTS"); do
  c="$NAME-serve$i"
  # What podman itself costs here: create, start and remove a container that runs /bin/true.
  t0=$(now_ms)
  podman run --rm --entrypoint /bin/true -p "127.0.0.1:$PORT:8080" "$IMAGE" > /dev/null 2>> "$TMP/podman.log"
  bare_ms+=($(( $(now_ms) - t0 )))
  t0=$(now_ms)
  podman run -d --name "$c" -p "127.0.0.1:$PORT:8080" -v "$TMP/job/model:/opt/ml/model:ro" "$IMAGE" serve \
    > /dev/null 2>> "$TMP/podman.log"
  ready=
  for _ in $(seq 1 1200); do
    if curl -fs "http://127.0.0.1:$PORT/ping" > /dev/null 2>&1; then ready=$(( $(now_ms) - t0 )); break; fi
    sleep 0.025
  done
  check "start $i: /ping 200 after ${ready:-never} ms" test -n "$ready"
  ping_ms+=("${ready:-0}")
  if [ "$i" = 1 ]; then
    answer=$(curl -s -X POST -H 'Content-Type: image/png' --data-binary @"$TMP/digit.png" "http://127.0.0.1:$PORT/invocations")
    echo "      /invocations: $answer"
    check "classifies the MNIST test digit as 7" test "$(jq -r '.predictions[0].label' <<< "$answer")" = 7
    check "HEALTHCHECK (entrypoint.sh healthcheck) passes" podman healthcheck run "$c"
    check "runs as uid 10001" test "$(podman exec "$c" id -u)" = 10001
  fi
  podman stop -t 30 "$c" > /dev/null 2>> "$TMP/podman.log"
  check "start $i: SIGTERM -> exit 0" test "$(podman inspect "$c" -f '{{.State.ExitCode}}')" = 0
  podman rm "$c" > /dev/null 2>> "$TMP/podman.log"
done

echo "== step-runner"
# The retraining pipeline's step-runner function: AWS's runtime interface client in the image, against a
# loopback Runtime API (bench/lib/runtime_api.py) on the host's network; one step that runs, one refused.
mkdir -p "$TMP/steps/answers"
printf '%s' '{"step":"ingest","runId":"image-check-1","state":{"request":{"sources":[],"reason":"image check"}}}' \
  > "$TMP/steps/ingest.json"
printf '%s' '{"step":"no-such-step","runId":"image-check-1","state":{}}' > "$TMP/steps/unknown.json"
API_PORT=$((PORT + 1))
python3 bench/lib/runtime_api.py "$API_PORT" "$TMP/steps/answers" "$TMP/steps/ingest.json" "$TMP/steps/unknown.json" &
api_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$API_PORT/" && break; sleep 0.1; done # listening
podman run -d --name "$NAME-step" --network host -e AWS_LAMBDA_RUNTIME_API="127.0.0.1:$API_PORT" \
  -e MNIST_HOME=/tmp/home -e MNIST_CACHE_DIR=/tmp/cache "$IMAGE" step-runner > /dev/null 2>> "$TMP/podman.log"
for _ in $(seq 1 900); do [ "$(ls "$TMP/steps/answers" | wc -l)" -ge 2 ] && break; sleep 0.1; done
podman logs "$NAME-step" > "$TMP/step.log" 2>&1 || true
podman rm -f "$NAME-step" > /dev/null 2>&1 || true
kill "$api_pid" 2> /dev/null || true
check "step-runner: ingest answered with the step's output (no new images)" \
  jq -e '.kind == "response" and (.body | fromjson | .newImages == 0)' "$TMP/steps/answers/req-1.json"
# Step Functions names a Lambda task's failure by the errorType in the error's body (the graph's Catch rules).
check "step-runner: an unknown step is a function error of the graph's family (mnist.*)" \
  jq -e '.kind == "error" and (.body | fromjson | .errorType | startswith("mnist."))' \
  "$TMP/steps/answers/req-2.json"
[ "$FAILED" = 0 ] || { tail -20 "$TMP/step.log"; cat "$TMP"/steps/answers/* 2>/dev/null; }

size=$(podman image inspect "$IMAGE" -f '{{.Size}}')
layers=$(podman image inspect "$IMAGE" -f '{{len .RootFS.Layers}}')
layer_sizes=$(podman history --format '{{.Size}}|{{.CreatedBy}}' "$IMAGE" | awk -F'|' '$1 != "0 B" {printf "%s%s", sep, "\"" $1 " " substr($2, 1, 60) "\""; sep=", "}' | sed 's/\\/\\\\/g')
median_ms=$(median "${ping_ms[@]}")
mkdir -p bench/results
cat > "$OUT" <<EOF
{
  "date": "$(date +%F)",
  "machine": "$(nproc) vCPU $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME")",
  "builder": "$(podman --version), runc, docker/build-local.sh (bases from Debian packages + jlinked JDK $("$(scripts/find-jdk)/bin/java" -version 2>&1 | head -1 | cut -d'"' -f2))",
  "image": "$IMAGE",
  "image_bytes": $size,
  "layers": $layers,
  "layer_sizes": [$layer_sizes],
  "build_seconds": $build_s,
  "train_job_seconds": $train_s,
  "sigterm_to_exit_ms": $stop_ms,
  "start_to_ping_200_ms": [$(IFS=,; echo "${ping_ms[*]}")],
  "start_to_ping_200_median_ms": $median_ms,
  "podman_run_bin_true_ms": [$(IFS=,; echo "${bare_ms[*]}")],
  "podman_run_bin_true_median_ms": $(median "${bare_ms[@]}")
}
EOF
echo "image $size bytes in $layers layers; start -> /ping 200: ${ping_ms[*]} ms (median $median_ms; podman alone, /bin/true: median $(median "${bare_ms[@]}") ms); results in $OUT"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
