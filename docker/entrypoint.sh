#!/usr/bin/env bash
# Container entry point following SageMaker's contract: the first argument names the entry.
#   serve        model server on :8080 (SAGEMAKER_BIND_TO_PORT), model package in $OPT_ML/model
#   train        SageMaker training job: $OPT_ML/input/{config,data} -> $OPT_ML/model
#   healthcheck  exit 0 when the local server answers GET /ping with 200 (the image's HEALTHCHECK)
#   step-runner  the retraining pipeline's step-runner Lambda function: one step per invocation
#                (`mnist retrain step`'s contract) under AWS's Lambda runtime interface client
#   anything else is passed to the `mnist` CLI (e.g. `--help`, `models list`)
# Each entry is one function plus one line in the `case` below.
# APP_HOME and OPT_ML are overridable so the same logic runs against a temporary tree in tests.
set -euo pipefail
APP_HOME=${APP_HOME:-/app}
OPT_ML=${OPT_ML:-/opt/ml}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-"-XX:MaxRAMPercentage=75"}
# The image keeps each jar once: server/lib holds the server's dependencies, cli/lib only the rest.
SERVER_CP="$APP_HOME/server/mnist-server.jar:$APP_HOME/server/lib/*"
CLI_CP="$APP_HOME/cli/mnist-cli.jar:$APP_HOME/cli/lib/*:$SERVER_CP"

serve() {
  # SageMaker sends traffic to the container's port 8080 (or SAGEMAKER_BIND_TO_PORT) on all
  # interfaces, so here, and only here, the server binds beyond loopback.
  exec "$JAVA" $JAVA_OPTS -cp "$SERVER_CP" \
    org.mnistpipeline.server.ServerMain --host 0.0.0.0 --model-dir "$OPT_ML/model" "$@"
}

train() {
  # Keep freed tensor memory in the heap: 30 % faster training (see README, Performance).
  export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-33554432} MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-4294967296}
  export MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-268435456}
  mkdir -p "$OPT_ML/output"
  # exec: the JVM becomes PID 1 and gets SageMaker's SIGTERM itself (training stops at a checkpoint).
  exec "$JAVA" ${TRAIN_JAVA_OPTS:--Xmx2g} --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
    -cp "$CLI_CP" org.mnistpipeline.cli.MnistCli sagemaker-train --opt-ml "$OPT_ML" "$@"
}

healthcheck() {
  # bash's /dev/tcp, not curl: the runtime image carries no HTTP client, and /bin/sh (dash) has no
  # /dev/tcp. HTTP/1.0 so the server closes the connection after one answer.
  local port=${1:-${SAGEMAKER_BIND_TO_PORT:-8080}} version status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /ping HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  IFS=' ' read -r -t 5 version status _ <&3 || return 1
  [[ $version == HTTP/* && $status == 200 ]]
}

step_runner() {
  # Lambda starts a container image's command with AWS_LAMBDA_RUNTIME_API set; the runtime interface
  # client (a jar in cli/lib) takes events from it and hands each to the handler. Lambda gives the
  # container a read-only file system but /tmp: the function's environment points MNIST_CACHE_DIR
  # there (the Pipeline stack sets it), and MNIST_HOME at the artifacts bucket.
  if [[ -z ${AWS_LAMBDA_RUNTIME_API:-} ]]; then
    echo "step-runner: AWS_LAMBDA_RUNTIME_API is not set; this entry runs as a Lambda function" >&2
    return 2
  fi
  exec "$JAVA" ${STEP_JAVA_OPTS:--XX:MaxRAMPercentage=75 -XX:+UseSerialGC} --enable-native-access=ALL-UNNAMED \
    -Dai.djl.offline=true -cp "$CLI_CP" com.amazonaws.services.lambda.runtime.api.client.AWSLambda \
    org.mnistpipeline.cli.StepRunnerHandler::handleRequest
}

cli() {
  exec "$JAVA" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -cp "$CLI_CP" org.mnistpipeline.cli.MnistCli "$@"
}

entry=${1:-serve}
[[ $# -gt 0 ]] && shift
case "$entry" in
  serve) serve "$@" ;;
  train) train "$@" ;;
  healthcheck) healthcheck "$@" ;;
  step-runner) step_runner "$@" ;;
  *) cli "$entry" "$@" ;;
esac
