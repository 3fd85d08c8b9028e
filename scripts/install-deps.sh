#!/usr/bin/env bash
# install-deps.sh — make a Debian 12 (bookworm) machine able to build and test Mallard.
#
#   1. apt-get installs whichever of the packages below are not installed yet (sudo only when not
#      root; `apt-get update` only when something is missing);
#   2. scripts/fetch-duckdb.sh "$MALLARD_BUILD_DIR" (pinned, sha512-verified libduckdb from the
#      npm registry) unless MALLARD_WITH_DUCKDB=OFF; with MALLARD_DUCKDB_BUNDLED=ON it fetches
#      the DuckDB source tree instead;
#   3. `npm ci` for tests/e2e/js and tests/browser when those packages exist and node_modules is
#      missing or older than its package-lock.json;
#   4. `npm ci` of console/package-lock.json (the web console's UI library, pinned with integrity
#      hashes) into BUILD_DIR/_deps/console-npm, which src/console/CMakeLists.txt embeds.
#
# Idempotent, and silent when there is nothing to do.
#
# Environment:
#   MALLARD_BUILD_DIR       build directory, relative to the repository root (default: build)
#   MALLARD_WITH_DUCKDB     ON (default) / OFF
#   MALLARD_DUCKDB_BUNDLED  OFF (default) / ON
set -euo pipefail

prog=install-deps
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo_root"

is_off() { case "${1,,}" in off|0|no|false|n) return 0 ;; *) return 1 ;; esac; }
is_on()  { case "${1,,}" in on|1|yes|true|y) return 0 ;; *) return 1 ;; esac; }

build_dir=${MALLARD_BUILD_DIR:-build}
with_duckdb=${MALLARD_WITH_DUCKDB:-ON}
duckdb_bundled=${MALLARD_DUCKDB_BUNDLED:-OFF}

# ---- 1. Debian packages ------------------------------------------------------------------------
packages=(
  build-essential cmake pkg-config
  clang libclang-rt-14-dev   # the libFuzzer targets (make fuzz, make test): clang's compiler-rt
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libhiredis-dev libpq-dev libssl-dev zlib1g-dev
  libzstd-dev                # DynamoDB ImportTable: ZSTD-compressed input
  libpugixml-dev             # S3: XML request bodies (configurations, DeleteObjects, CompleteMultipartUpload)
  libgtest-dev libgmock-dev libbenchmark-dev googletest
  redis-server postgresql
  awscli python3-boto3 python3-pytest python3-requests
  python3-cryptography       # SNS signatures checked by a verifier of its own (unit and e2e tests)
  prometheus                 # promtool: tests/e2e/test_metrics.py checks the metrics page with Prometheus' parser
  chromium                   # the web console's browser tests (tests/browser, headless)
  ca-certificates openssl
)
# Node.js may come from elsewhere (e.g. NodeSource, whose nodejs bundles npm and conflicts with
# Debian's npm package): only install Debian's when node or npm is missing from PATH.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

installed() {
  # `dpkg -s` also succeeds for removed packages whose config files remain; require "installed".
  dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available; install manually: ${missing[*]}"
    sudo=(sudo)
  fi
  log "installing: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
  hash -r
fi

# ---- 2. DuckDB ---------------------------------------------------------------------------------
if is_off "$with_duckdb"; then
  :
elif is_on "$duckdb_bundled"; then
  "$repo_root/scripts/fetch-duckdb.sh" --source-only "$build_dir"
else
  "$repo_root/scripts/fetch-duckdb.sh" "$build_dir"
fi

# ---- 3. JavaScript end-to-end and browser test dependencies -------------------------------------
for js_dir in tests/e2e/js tests/browser; do
  [[ -f "$js_dir/package.json" ]] || continue
  [[ -f "$js_dir/package-lock.json" ]] || die "$js_dir/package-lock.json is missing (npm ci needs it; create it with 'npm install --package-lock-only --prefix $js_dir' and commit it)"
  if [[ ! -d "$js_dir/node_modules" || "$js_dir/package-lock.json" -nt "$js_dir/node_modules" ]]; then
    log "npm ci in $js_dir"
    npm ci --prefix "$js_dir" --ignore-scripts --no-audit --no-fund --loglevel=error
    touch "$js_dir/node_modules"   # mark as newer than package-lock.json
  fi
done

# ---- 4. The web console's UI library -----------------------------------------------------------
# Installed in the build directory (never in the source tree): npm ci checks every tarball against
# the lock file's integrity hash. The build embeds the files it needs (src/console/CMakeLists.txt).
console_npm="$build_dir/_deps/console-npm"
if [[ ! -d "$console_npm/node_modules" || console/package-lock.json -nt "$console_npm/node_modules" ||
      console/package.json -nt "$console_npm/node_modules" ]]; then
  log "npm ci of console/package-lock.json in $console_npm"
  mkdir -p "$console_npm"
  cp console/package.json console/package-lock.json "$console_npm/"
  npm ci --prefix "$console_npm" --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$console_npm/node_modules"
fi
