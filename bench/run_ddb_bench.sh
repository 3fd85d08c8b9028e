#!/usr/bin/env bash
# run_ddb_bench.sh — runs the same ddb_load scenarios against Mallard, dynalite and moto_server, then
# prints them side by side with Mallard's throughput ratio to each peer. Everything listens on and
# talks to 127.0.0.1 only.
#
# Usage: bench/run_ddb_bench.sh [-h]
# Settings (environment variables):
#   BUILD_DIR=build            where `mallard` and `bench/ddb_load` are
#   MALLARD=$BUILD_DIR/mallard DDB_LOAD=$BUILD_DIR/bench/ddb_load
#   DURATION=10 WARMUP=1       seconds per scenario and connection count (measured / unmeasured)
#   CONNECTIONS="1 8 64"       connection counts
#   SCENARIOS=all              put,get,query,mixed (comma separated) or all
#   LOAD_THREADS=1             ddb_load threads
#   SERVER_THREADS=1           mallard --threads
#   PIN=auto                   auto|0: with >= 2 CPUs and taskset, server on the last CPU, ddb_load on CPU 0
#   TARGETS="mallard dynalite moto"   which targets to run, in this order (the first is the baseline)
#   DYNALITE_DIR=bench/.peers/dynalite DYNALITE_VERSION=4.0.0   local npm install of dynalite
#   MOTO_SERVER=(found on PATH or in ~/.pyenv/versions/*/bin)
#   PEER_TIMEOUT=120           ddb_load --timeout for the peers (moto queues requests for seconds)
#   DDB_LOAD_ARGS=""           extra ddb_load arguments for every target (e.g. --keys 100000)
#   MALLARD_ARGS=""            extra arguments for `mallard serve`
#   OUT_DIR=(temp dir)         where the JSON results and server logs go
set -uo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
[[ "$BUILD_DIR" == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
MALLARD=${MALLARD:-$BUILD_DIR/mallard}
DDB_LOAD=${DDB_LOAD:-$BUILD_DIR/bench/ddb_load}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-"1 8 64"}
SCENARIOS=${SCENARIOS:-all}
LOAD_THREADS=${LOAD_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-1}
PIN=${PIN:-auto}
TARGETS=${TARGETS:-"mallard dynalite moto"}
DYNALITE_DIR=${DYNALITE_DIR:-$ROOT/bench/.peers/dynalite}
DYNALITE_VERSION=${DYNALITE_VERSION:-4.0.0}
MOTO_SERVER=${MOTO_SERVER:-}
PEER_TIMEOUT=${PEER_TIMEOUT:-120}
DDB_LOAD_ARGS=${DDB_LOAD_ARGS:-}
MALLARD_ARGS=${MALLARD_ARGS:-}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/ddb_bench.XXXXXX)}
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

# --- ddb_load --------------------------------------------------------------------------------
if [[ ! -x "$DDB_LOAD" ]]; then
  log "ddb_load not found at $DDB_LOAD; building it standalone in $OUT_DIR/ddb_load_build"
  if ! cmake -S "$ROOT/bench" -B "$OUT_DIR/ddb_load_build" -DCMAKE_BUILD_TYPE=Release >"$OUT_DIR/ddb_load_build.log" 2>&1 ||
     ! cmake --build "$OUT_DIR/ddb_load_build" --target ddb_load -j2 >>"$OUT_DIR/ddb_load_build.log" 2>&1; then
    tail -20 "$OUT_DIR/ddb_load_build.log" >&2
    log "cannot build ddb_load"; exit 2
  fi
  DDB_LOAD="$OUT_DIR/ddb_load_build/ddb_load"
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
SKIPPED=()

# run_load LABEL PORT [extra ddb_load args...]
run_load() {
  local label=$1 port=$2 file rc
  shift 2
  file="$OUT_DIR/$label.json"
  log "$label: ddb_load on port $port (connections ${CONNECTIONS// /,}; scenarios $SCENARIOS)"
  # shellcheck disable=SC2086
  "${LOAD_PIN[@]}" "$DDB_LOAD" --endpoint "http://127.0.0.1:$port" --duration "$DURATION" --warmup "$WARMUP" \
    --connections "${CONNECTIONS// /,}" --scenario "$SCENARIOS" --threads "$LOAD_THREADS" --label "$label" \
    --table-name "ddb-bench-$label-$$" --json-out "$file" "$@" $DDB_LOAD_ARGS >"$OUT_DIR/$label.txt"
  rc=$?
  cat "$OUT_DIR/$label.txt"
  (( rc != 0 )) && FAILED=1
  [[ -s "$file" ]] && RESULT_FILES+=("$file")
}

# --- targets ---------------------------------------------------------------------------------
run_mallard() {
  if [[ ! -x "$MALLARD" ]]; then
    log "mallard binary not found at $MALLARD (build it: cmake --build $BUILD_DIR --target mallard); skipping Mallard"
    SKIPPED+=("mallard: binary not found at $MALLARD")
    FAILED=1
    return
  fi
  local port
  port=$(free_port) || { log "no free port found"; exit 2; }
  log "starting $MALLARD serve --port $port --threads $SERVER_THREADS"
  # shellcheck disable=SC2086
  "${SERVER_PIN[@]}" "$MALLARD" serve --host 127.0.0.1 --port "$port" --threads "$SERVER_THREADS" \
    --log-level warn $MALLARD_ARGS >"$OUT_DIR/mallard.log" 2>&1 &
  SERVER_PID=$!
  if wait_ready "$port" /_mallard/health 200 mallard; then
    run_load mallard "$port"
  else
    tail -20 "$OUT_DIR/mallard.log" >&2
    SKIPPED+=("mallard: did not start (see $OUT_DIR/mallard.log)")
    FAILED=1
  fi
  stop_server
}

# dynalite from the npm registry, installed into $DYNALITE_DIR (ignored by git). dynalite 4 keeps
# tables in memory (memory-level, pure JavaScript) unless --path is given, so no native module
# (leveldown / classic-level) has to build.
install_dynalite() {
  [[ -f "$DYNALITE_DIR/node_modules/dynalite/cli.js" ]] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found"; return 1
  fi
  mkdir -p "$DYNALITE_DIR"
  [[ -f "$DYNALITE_DIR/package.json" ]] || echo '{"name":"mallard-bench-peers","private":true}' >"$DYNALITE_DIR/package.json"
  log "installing dynalite@$DYNALITE_VERSION into $DYNALITE_DIR"
  (cd "$DYNALITE_DIR" && npm install --no-audit --no-fund "dynalite@$DYNALITE_VERSION") >"$OUT_DIR/dynalite_install.log" 2>&1 || {
    tail -20 "$OUT_DIR/dynalite_install.log" >&2
    return 1
  }
  [[ -f "$DYNALITE_DIR/node_modules/dynalite/cli.js" ]]
}

run_dynalite() {
  if ! command -v node >/dev/null 2>&1; then
    log "node not found; skipping dynalite"
    SKIPPED+=("dynalite: node not found")
    return
  fi
  if ! install_dynalite; then
    log "dynalite could not be installed (see $OUT_DIR/dynalite_install.log); skipping dynalite"
    SKIPPED+=("dynalite: npm install failed")
    return
  fi
  local port version
  port=$(free_port) || { log "no free port found"; exit 2; }
  version=$(node -p "require('$DYNALITE_DIR/node_modules/dynalite/package.json').version" 2>/dev/null)
  log "starting dynalite $version (node $(node --version)) --port $port (in memory)"
  "${SERVER_PIN[@]}" node "$DYNALITE_DIR/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
    --createTableMs 0 --deleteTableMs 0 >"$OUT_DIR/dynalite.log" 2>&1 &
  SERVER_PID=$!
  if wait_ready "$port" / any dynalite; then
    run_load dynalite "$port" --timeout "$PEER_TIMEOUT"
  else
    tail -20 "$OUT_DIR/dynalite.log" >&2
    SKIPPED+=("dynalite: did not start (see $OUT_DIR/dynalite.log)")
  fi
  stop_server
}

find_moto() {
  if [[ -n "$MOTO_SERVER" ]]; then echo "$MOTO_SERVER"; return 0; fi
  local m
  # The interpreter's own script rather than a pyenv shim (a shim adds a bash + pyenv hop per start).
  for m in "$HOME"/.pyenv/versions/*/bin/moto_server; do
    [[ -x "$m" ]] && { echo "$m"; return 0; }
  done
  command -v moto_server 2>/dev/null
}

run_moto() {
  local moto port
  moto=$(find_moto)
  if [[ -z "$moto" ]] || ! "$moto" --help >/dev/null 2>&1; then
    log "moto_server not found; skipping moto"
    SKIPPED+=("moto: moto_server not found")
    return
  fi
  port=$(free_port) || { log "no free port found"; exit 2; }
  log "starting $moto -H 127.0.0.1 -p $port"
  "${SERVER_PIN[@]}" "$moto" -H 127.0.0.1 -p "$port" >"$OUT_DIR/moto.log" 2>&1 &
  SERVER_PID=$!
  if wait_ready "$port" /moto-api/ any moto_server; then
    run_load moto "$port" --timeout "$PEER_TIMEOUT"
  else
    tail -20 "$OUT_DIR/moto.log" >&2
    SKIPPED+=("moto: did not start (see $OUT_DIR/moto.log)")
  fi
  stop_server
}

log "results in $OUT_DIR; ddb_load: $DDB_LOAD; CPUs: $NCPU; pinning: server '${SERVER_PIN[*]:-none}', load '${LOAD_PIN[*]:-none}'"
for t in $TARGETS; do
  case "$t" in
    mallard) run_mallard ;;
    dynalite) run_dynalite ;;
    moto) run_moto ;;
    *) log "unknown target $t (mallard, dynalite, moto)"; exit 2 ;;
  esac
done

# --- side by side ----------------------------------------------------------------------------
if (( ${#RESULT_FILES[@]} > 0 )); then
  echo
  echo "DynamoDB benchmark: ${DURATION}s per scenario and connection count (+${WARMUP}s warmup)," \
       "ddb_load threads $LOAD_THREADS, mallard threads $SERVER_THREADS, pinning '${SERVER_PIN[*]:-none}' / '${LOAD_PIN[*]:-none}'"
  "$DDB_LOAD" --compare "${RESULT_FILES[@]}"
  for s in "${SKIPPED[@]}"; do echo "skipped: $s"; done
  echo "JSON results and logs: $OUT_DIR"
else
  for s in "${SKIPPED[@]}"; do echo "skipped: $s"; done
  log "no results"
  FAILED=1
fi
exit "$FAILED"
