#!/usr/bin/env bash
# Starts `mallard serve` (one network thread, in-memory DuckDB) on a free loopback port and runs
# bench/sqlengine_overhead against it: Athena and Redshift Data query latency next to the same
# query run directly in DuckDB.
#
#   BUILD_DIR=build bench/run_sqlengine_bench.sh [sqlengine_overhead options, e.g. --iterations 50]
set -euo pipefail
BUILD_DIR="${BUILD_DIR:-build}"
mallard="$BUILD_DIR/mallard"
overhead="$BUILD_DIR/bench/sqlengine_overhead"
for binary in "$mallard" "$overhead"; do
  [[ -x "$binary" ]] || { echo "run_sqlengine_bench.sh: $binary is missing; build it first" >&2; exit 1; }
done
export no_proxy='*' NO_PROXY='*'
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$mallard" serve --host 127.0.0.1 --port "$port" --threads 1 --log-level warn >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "mallard serve exited early" >&2; exit 1; }
  /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$port/_mallard/health" 2>/dev/null && break
  sleep 0.1
done
"$overhead" --endpoint "http://127.0.0.1:$port" "$@"
