#!/usr/bin/env bash
# run_sqs_bench.sh — runs the same sqs_load scenarios against Mallard and, when `moto_server` is on
# PATH, against moto, then prints both side by side. Everything listens on and talks to 127.0.0.1 only.
#
# Usage: bench/run_sqs_bench.sh [-h]
# Settings (environment variables):
#   BUILD_DIR=build            where `mallard` and `bench/sqs_load` are
#   MALLARD=$BUILD_DIR/mallard SQS_LOAD=$BUILD_DIR/bench/sqs_load
#   DURATION=10 WARMUP=1       seconds per scenario (measured / unmeasured)
#   CONNECTIONS="1 16 64"      closed-loop connection counts
#   RATE=2000 RATE_CONNECTIONS=16   open-loop runs ("p99 at moderate load"): ops/s, a list is
#                              allowed (RATE="20 2000"); RATE=0 skips them
#   MESSAGE_SIZE=256 PROTOCOL=json (json|query)
#   LOAD_THREADS=1             sqs_load threads
#   SERVER_THREADS=1           mallard --threads
#   PIN=auto                   auto|0: with >= 2 CPUs and taskset, server on the last CPU, sqs_load on CPU 0
#   PEER=moto                  moto|none
#   MALLARD_ARGS=""            extra arguments for `mallard serve`
#   OUT_DIR=(temp dir)         where the JSON results and server logs go
set -uo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
MALLARD=${MALLARD:-$BUILD_DIR/mallard}
SQS_LOAD=${SQS_LOAD:-$BUILD_DIR/bench/sqs_load}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-"1 16 64"}
RATE=${RATE:-2000}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-16}
MESSAGE_SIZE=${MESSAGE_SIZE:-256}
PROTOCOL=${PROTOCOL:-json}
LOAD_THREADS=${LOAD_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-1}
PIN=${PIN:-auto}
PEER=${PEER:-moto}
MALLARD_ARGS=${MALLARD_ARGS:-}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/sqs_bench.XXXXXX)}
mkdir -p "$OUT_DIR"

# Never let a proxy setting send loopback traffic elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

log() { printf '== %s\n' "$*" >&2; }

SERVER_PID=""
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then stop_server; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- sqs_load --------------------------------------------------------------------------------
if [[ ! -x "$SQS_LOAD" ]]; then
  log "sqs_load not found at $SQS_LOAD; building it standalone in $OUT_DIR/sqs_load_build"
  if ! cmake -S "$ROOT/bench" -B "$OUT_DIR/sqs_load_build" -DCMAKE_BUILD_TYPE=Release >"$OUT_DIR/sqs_load_build.log" 2>&1 ||
     ! cmake --build "$OUT_DIR/sqs_load_build" >>"$OUT_DIR/sqs_load_build.log" 2>&1; then
    tail -20 "$OUT_DIR/sqs_load_build.log" >&2
    log "cannot build sqs_load"; exit 2
  fi
  SQS_LOAD="$OUT_DIR/sqs_load_build/sqs_load"
fi

# --- CPU pinning ---------------------------------------------------------------------------
SERVER_PIN=()
LOAD_PIN=()
NCPU=$(nproc 2>/dev/null || echo 1)
if [[ "$PIN" != "0" ]] && command -v taskset >/dev/null 2>&1 && (( NCPU >= 2 )); then
  SERVER_PIN=(taskset -c "$((NCPU - 1))")
  if (( NCPU > 2 )); then LOAD_PIN=(taskset -c "0-$((NCPU - 2))"); else LOAD_PIN=(taskset -c 0); fi
fi

# --- helpers ---------------------------------------------------------------------------------
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# HTTP status code of GET http://127.0.0.1:PORT/PATH, or 000.
http_status() {
  local port=$1 path=$2
  if command -v curl >/dev/null 2>&1; then
    curl --noproxy '*' -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null || true
    return
  fi
  local line
  line=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
           printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3 &&
           timeout 2 head -n1 <&3) 2>/dev/null)
  [[ "$line" =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]] && echo "${BASH_REMATCH[1]}" || echo 000
}

# wait_ready PORT PATH WANT(200|any) NAME
wait_ready() {
  local port=$1 path=$2 want=$3 name=$4 code
  for _ in $(seq 1 150); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "$name exited during start-up"; return 1
    fi
    code=$(http_status "$port" "$path")
    if [[ "$want" == any && "$code" != 000 ]] || [[ "$code" == "$want" ]]; then return 0; fi
    sleep 0.2
  done
  log "$name did not answer GET $path on port $port within 30 s (last status $code)"
  return 1
}

stop_server() {
  local pid=$SERVER_PID
  SERVER_PID=""
  [[ -z "$pid" ]] && return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.2
  done
  log "server $pid ignored SIGTERM for 10 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

RESULT_FILES=()
FAILED=0

# run_suite LABEL PORT
run_suite() {
  local label=$1 port=$2 c r threads file rc
  local common=(--endpoint "http://127.0.0.1:$port" --duration "$DURATION" --warmup "$WARMUP"
                --message-size "$MESSAGE_SIZE" --protocol "$PROTOCOL" --scenario all --label "$label")
  # A fresh queue name per run: like SQS, Mallard refuses to recreate a name within 60 s of deleting it.
  for c in $CONNECTIONS; do
    threads=$(( LOAD_THREADS < c ? LOAD_THREADS : c ))
    file="$OUT_DIR/$label-closed-c$c.json"
    log "$label: closed loop, $c connection(s), $threads load thread(s)"
    "${LOAD_PIN[@]}" "$SQS_LOAD" "${common[@]}" --connections "$c" --threads "$threads" --json-out "$file" \
      --queue-name "bench-$label-$$-c$c"
    rc=$?
    (( rc != 0 )) && FAILED=1
    [[ -s "$file" ]] && RESULT_FILES+=("$file")
  done
  for r in $RATE; do
    [[ "$r" == 0 ]] && continue
    threads=$(( LOAD_THREADS < RATE_CONNECTIONS ? LOAD_THREADS : RATE_CONNECTIONS ))
    file="$OUT_DIR/$label-open-r$r.json"
    log "$label: open loop, $r ops/s over $RATE_CONNECTIONS connections"
    "${LOAD_PIN[@]}" "$SQS_LOAD" "${common[@]}" --connections "$RATE_CONNECTIONS" --threads "$threads" \
      --rate "$r" --json-out "$file" --queue-name "bench-$label-$$-r$r"
    rc=$?
    (( rc != 0 )) && FAILED=1
    [[ -s "$file" ]] && RESULT_FILES+=("$file")
  done
}

log "results in $OUT_DIR; sqs_load: $SQS_LOAD; CPUs: $NCPU; pinning: server '${SERVER_PIN[*]:-none}', load '${LOAD_PIN[*]:-none}'"

# --- Mallard ---------------------------------------------------------------------------------
if [[ -x "$MALLARD" ]]; then
  PORT=$(free_port) || { log "no free port found"; exit 2; }
  log "starting $MALLARD serve --port $PORT --threads $SERVER_THREADS"
  # shellcheck disable=SC2086
  "${SERVER_PIN[@]}" "$MALLARD" serve --host 127.0.0.1 --port "$PORT" --threads "$SERVER_THREADS" \
    --log-level warn $MALLARD_ARGS >"$OUT_DIR/mallard.log" 2>&1 &
  SERVER_PID=$!
  if wait_ready "$PORT" /_mallard/health 200 mallard; then
    run_suite mallard "$PORT"
  else
    tail -20 "$OUT_DIR/mallard.log" >&2
    FAILED=1
  fi
  stop_server
else
  log "mallard binary not found at $MALLARD (build it: cmake --build build --target mallard); skipping Mallard"
  FAILED=1
fi

# --- peer: moto_server -----------------------------------------------------------------------
if [[ "$PEER" == moto ]]; then
  if command -v moto_server >/dev/null 2>&1 && moto_server --help >/dev/null 2>&1; then
    PORT=$(free_port) || { log "no free port found"; exit 2; }
    log "starting moto_server -H 127.0.0.1 -p $PORT"
    "${SERVER_PIN[@]}" moto_server -H 127.0.0.1 -p "$PORT" >"$OUT_DIR/moto.log" 2>&1 &
    SERVER_PID=$!
    if wait_ready "$PORT" /moto-api/ any moto_server; then
      run_suite moto "$PORT"
    else
      tail -20 "$OUT_DIR/moto.log" >&2
    fi
    stop_server
  else
    log "moto_server not found; skipping peer"
  fi
else
  log "PEER=$PEER; skipping peer"
fi

# --- side by side ----------------------------------------------------------------------------
if (( ${#RESULT_FILES[@]} > 0 )); then
  echo
  echo "SQS benchmark: ${DURATION}s per scenario (+${WARMUP}s warmup), ${MESSAGE_SIZE} B messages, protocol $PROTOCOL," \
       "sqs_load threads $LOAD_THREADS, mallard threads $SERVER_THREADS"
  "$SQS_LOAD" --compare "${RESULT_FILES[@]}"
  echo "JSON results: $OUT_DIR"
else
  log "no results"
  FAILED=1
fi
exit "$FAILED"
