#!/usr/bin/env bash
# with_redis.sh COMMAND [ARGS...]: runs COMMAND with a throw-away redis-server (Debian's package) on a
# free loopback port, and MALLARD_TEST_REDIS set to its URL. The server runs as the Redis backends
# are meant to: AOF on, fsync on every write, no RDB snapshots.
set -euo pipefail
server=$(command -v redis-server || true)
[[ -x "$server" ]] || { echo "with_redis.sh: redis-server not found (apt install redis-server)" >&2; exit 1; }
dir=$(mktemp -d /tmp/mallard-redis.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pid=""
stop() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
"$server" --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always --dir "$dir" \
  --daemonize no --logfile "$dir/redis.log" &
pid=$!
for _ in $(seq 1 100); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/redis.log" >&2; exit 1; fi
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null 2>&1 || { echo "with_redis.sh: redis-server did not answer" >&2; cat "$dir/redis.log" >&2; exit 1; }
export MALLARD_TEST_REDIS="redis://127.0.0.1:$port/0"
"$@"
