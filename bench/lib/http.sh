# Shared by the HTTP benchmarks: setup, wrk runs, the JIT warm-up and stopping the servers.
# Source it after setting ROOT, JAVA_HOME and TMP; servers go into the associative array PID.

# prepare: builds the server and bench modules and writes the request body, a real MNIST test
# digit as a 28x28 greyscale PNG, to $TMP/digit.png (BODY).
prepare() {
  "$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" package -DskipTests -pl server,bench -am
  "$JAVA_HOME/bin/java" -cp "$ROOT/bench/target/mnist-bench.jar:$ROOT/bench/target/lib/*" \
    org.mnistpipeline.bench.WriteDigitPng "$TMP/digit.png"
  BODY="$TMP/digit.png"
}

# stop_servers: SIGTERM to every server in PID, then waits for them.
stop_servers() {
  local v
  for v in "${!PID[@]}"; do kill -TERM "${PID[$v]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# wrk_png PORT CONCURRENCY SECONDS: POSTs BODY as image/png to /invocations; prints wrk's
# "requests=... rps=... p99_ms=... errors=..." fields.
wrk_png() {
  local threads=$(( $2 < 2 ? 1 : 2 ))
  BODY="$BODY" wrk -t"$threads" -c"$2" -d"$3s" -s "$ROOT/bench/http-post-png.lua" \
    "http://127.0.0.1:$1/invocations" | grep '^RESULT' | sed 's/^RESULT //'
}

# wait_ready PORT: until /ping answers 200 (at most 10 s).
wait_ready() {
  local _
  for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$1/ping" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "server on port $1 did not become ready" >&2; return 1
}

# jit_ticks PID: CPU time (1/100 s) the JIT compiler threads of a process have used so far.
jit_ticks() {
  local t s=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      C1\ Compiler*|C2\ Compiler*) s=$(( s + $(awk '{print $14 + $15}' "$t/stat") ));;
    esac
  done
  echo "$s"
}

# warm_up PORT PID: load at c=16 in 1 s steps until the JIT compilers have been idle (at most
# 20 ms of compile time a second) for 5 s in a row, or 90 s have passed; prints the seconds it took.
# The request path needs 7-8 s of C2 time, about 15 s under load on 2 cores: measuring before that
# measures the compiler competing for the cores.
warm_up() {
  local start idle=0 before now
  start=$(date +%s); before=$(jit_ticks "$2")
  while [ $idle -lt 5 ] && [ $(( $(date +%s) - start )) -lt 90 ]; do
    wrk_png "$1" 16 1 >/dev/null
    now=$(jit_ticks "$2")
    if [ $(( now - before )) -le 2 ]; then idle=$(( idle + 1 )); else idle=0; fi
    before=$now
  done
  echo $(( $(date +%s) - start ))
}
