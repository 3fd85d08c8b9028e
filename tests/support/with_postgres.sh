#!/usr/bin/env bash
# with_postgres.sh COMMAND [ARGS...]: runs COMMAND with a throw-away PostgreSQL server (Debian's
# package) on a free loopback port, and MALLARD_TEST_PG set to its libpq connection string.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$pg_bin/initdb" ]] || { echo "with_postgres.sh: PostgreSQL server binaries not found (apt install postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/mallard-pg.XXXXXX)
chmod 755 "$dir"
as_server() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) == 0 ]] && chown postgres: "$dir"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
  as_server "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_server "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_server "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c wal_level=logical -c fsync=off -c max_connections=200" start \
  >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export MALLARD_TEST_PG="host=127.0.0.1 port=$port user=postgres dbname=postgres"
"$@"
