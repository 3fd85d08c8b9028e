#!/usr/bin/env bash
# Module boundaries as include rules (README "Layout"):
#   http       -> common                          (no protocol, services, backends)
#   protocol   -> common, http types              (no services, backends, gateway, app)
#   services   -> common, protocol, own backend interface (no backends, gateway, app, Beast)
#   backends/X -> services' interfaces            (never another backends/Y, gateway, app)
#   lake       -> common, duckdb wrapper          (a storage library: no services, backends, gateway, app)
#   cdc        -> common, duckdb wrapper, lake    (cdc/pg: common only — the PostgreSQL protocol client)
#   Beast      -> src/http only
set -u
src="$(cd "$(dirname "$0")/../src" && pwd)"
status=0
violation() { echo "boundary violation: $1"; status=1; }

check() {  # check DIR PATTERN REASON
  local hits
  hits=$(grep -rnE "^#include \"($2)" "$src/$1" 2>/dev/null)
  [ -n "$hits" ] && violation "$3"$'\n'"$hits"
}
check http 'protocol/|services/|backends/|gateway/|app/' "src/http must not depend on protocol, services, backends, gateway or app"
check protocol 'services/|backends/|gateway/|app/' "src/protocol must not depend on services, backends, gateway or app"
check services 'backends/|gateway/|app/|http/http_server' "src/services must not depend on backends, gateway, app or the HTTP server"
check gateway 'backends/|app/' "src/gateway must not depend on backends or app"
check lake 'http/|protocol/|services/|backends/|gateway/|app/|cdc/' "src/lake must depend only on common and the DuckDB wrapper"
check cdc 'http/|protocol/|services/|backends/|gateway/|app/' "src/cdc must depend only on common, the DuckDB wrapper and the lake"
check cdc/pg 'duckdb/|lake/|cdc/[a-z_]*\.hpp' "src/cdc/pg (the PostgreSQL protocol client) must not depend on DuckDB, the lake or the pipeline"
for tech_dir in "$src"/backends/*/; do
  tech=$(basename "$tech_dir")
  others=$(ls "$src/backends" | grep -vx "$tech" | sed 's|.*|backends/&/|' | paste -sd'|')
  [ -n "$others" ] && check "backends/$tech" "$others|gateway/|app/" "src/backends/$tech must not depend on another backend, gateway or app"
done
beast=$(grep -rlE '#include <boost/beast' "$src" | grep -v "^$src/http/")
[ -n "$beast" ] && violation "Boost.Beast outside src/http: $beast"
[ $status -eq 0 ] && echo "module boundaries hold"
exit $status
