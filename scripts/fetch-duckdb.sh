#!/usr/bin/env bash
# fetch-duckdb.sh — fetch a pinned DuckDB from the npm registry into BUILD_DIR/_deps.
#
# Usage: scripts/fetch-duckdb.sh [--with-source | --source-only] BUILD_DIR
#
#   (default)       BUILD_DIR/_deps/duckdb/lib/libduckdb.so   prebuilt shared library
#                   BUILD_DIR/_deps/duckdb/include/duckdb.h   C API header
#   --with-source   additionally BUILD_DIR/_deps/duckdb-src/  the npm package's bundled source
#                   tree (package/src/duckdb) plus its binding.gyp, for MALLARD_DUCKDB_BUNDLED=ON
#   --source-only   only the source tree (skips the 21 MB prebuilt library download)
#
# Tarballs are fetched with `npm pack` (never `npm install duckdb`: its install script downloads
# binaries from elsewhere), cached in BUILD_DIR/_deps/cache and checked against the pinned sha512
# integrity before anything is extracted. A mismatch is fatal. Finished trees carry a .stamp file
# recording what they were built from; when the stamp matches, the script does nothing and prints
# nothing.
set -euo pipefail

# ---- pins --------------------------------------------------------------------------------------
DUCKDB_VERSION=1.4.4
DUCKDB_SPEC="duckdb@${DUCKDB_VERSION}"
DUCKDB_TGZ="duckdb-${DUCKDB_VERSION}.tgz"
DUCKDB_INTEGRITY="sha512-hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog=="

BINDINGS_VERSION=1.4.4-r.4
BINDINGS_SPEC="@duckdb/node-bindings-linux-x64@${BINDINGS_VERSION}"
BINDINGS_TGZ="duckdb-node-bindings-linux-x64-${BINDINGS_VERSION}.tgz"
BINDINGS_INTEGRITY="sha512-jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA=="
# ------------------------------------------------------------------------------------------------

prog=fetch-duckdb
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

want_lib=1
want_src=0
build_dir=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --with-source) want_src=1 ;;
    --source-only) want_src=1; want_lib=0 ;;
    -h|--help) usage ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) [[ -z "$build_dir" ]] || die "only one BUILD_DIR may be given"; build_dir=$1 ;;
  esac
  shift
done
[[ -n "$build_dir" ]] || usage

for tool in npm openssl tar flock; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH (run scripts/install-deps.sh)"
done

mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd -P)
deps="$build_dir/_deps"
cache="$deps/cache"
mkdir -p "$cache"

# Serialise concurrent runs (e.g. `make deps` and a CMake configure) on the same build dir.
exec 9>"$deps/.fetch-duckdb.lock"
flock 9

# Temporary files live inside _deps so that the final `mv` is a rename on the same filesystem.
tmp_paths=()
cleanup() { [[ ${#tmp_paths[@]} -eq 0 ]] || rm -rf "${tmp_paths[@]}"; }
trap cleanup EXIT
new_tmp() { TMP=$(mktemp -d "$deps/.tmp.XXXXXX"); tmp_paths+=("$TMP"); }  # sets $TMP

integrity_of() {  # npm-style Subresource Integrity string of a file
  local digest
  digest=$(openssl dgst -sha512 -binary "$1" | openssl base64 -A) || die "openssl failed on $1"
  printf 'sha512-%s\n' "$digest"
}

# fetch_tarball SPEC FILE INTEGRITY — leaves a verified $cache/FILE behind or exits non-zero.
fetch_tarball() {
  local spec=$1 want=$3 got dest="$cache/$2"
  if [[ -f "$dest" ]]; then
    got=$(integrity_of "$dest")
    if [[ "$got" != "$want" ]]; then
      die "INTEGRITY MISMATCH for cached tarball $dest ($spec)
  expected: $want
  actual:   $got
The cached file is corrupt or has been tampered with. Delete it and re-run to download it again."
    fi
    return 0
  fi

  log "downloading $spec from the npm registry"
  local t out
  new_tmp; t=$TMP
  # `npm pack <spec>` only fetches the published tarball; --ignore-scripts as belt and braces.
  # Run from the temp dir so no project .npmrc/package.json is picked up.
  if ! out=$(cd "$t" && npm pack "$spec" --ignore-scripts --pack-destination "$t" \
                          --loglevel=error --no-fund --no-audit 2>&1); then
    printf '%s\n' "$out" >&2
    die "npm pack $spec failed"
  fi
  local files=("$t"/*.tgz)
  [[ ${#files[@]} -eq 1 && -f "${files[0]}" ]] || die "npm pack $spec did not produce exactly one .tgz in $t"
  got=$(integrity_of "${files[0]}")
  if [[ "$got" != "$want" ]]; then
    die "INTEGRITY MISMATCH for $spec downloaded from the npm registry
  expected: $want
  actual:   $got
Refusing to use it (nothing was cached or extracted)."
  fi
  mv -f "${files[0]}" "$dest"
}

# extract_member TGZ MEMBER DESTDIR — extract one path from a tarball (mtimes set to now so that
# a version bump of duckdb.h triggers recompilation).
extract_member() {
  tar -xzf "$1" -C "$3" --no-same-owner -m "$2" || die "could not extract $2 from $1"
  [[ -e "$3/$2" ]] || die "$1 does not contain $2"
}

# ---- prebuilt library + header -----------------------------------------------------------------
if [[ $want_lib -eq 1 ]]; then
  out_dir="$deps/duckdb"
  stamp="duckdb=$DUCKDB_VERSION $DUCKDB_INTEGRITY
node-bindings-linux-x64=$BINDINGS_VERSION $BINDINGS_INTEGRITY"
  if [[ -f "$out_dir/.stamp" && -f "$out_dir/lib/libduckdb.so" && -f "$out_dir/include/duckdb.h" ]] &&
     [[ "$(cat "$out_dir/.stamp")" == "$stamp" ]]; then
    :  # up to date
  else
    fetch_tarball "$BINDINGS_SPEC" "$BINDINGS_TGZ" "$BINDINGS_INTEGRITY"
    fetch_tarball "$DUCKDB_SPEC" "$DUCKDB_TGZ" "$DUCKDB_INTEGRITY"
    new_tmp; t=$TMP
    extract_member "$cache/$BINDINGS_TGZ" package/libduckdb.so "$t"
    extract_member "$cache/$BINDINGS_TGZ" package/LICENSE "$t"
    extract_member "$cache/$DUCKDB_TGZ" package/src/duckdb/src/include/duckdb.h "$t"
    stage="$t/out"
    mkdir -p "$stage/lib" "$stage/include" "$stage/share"
    mv "$t/package/libduckdb.so" "$stage/lib/libduckdb.so"
    chmod 0755 "$stage/lib/libduckdb.so"
    mv "$t/package/src/duckdb/src/include/duckdb.h" "$stage/include/duckdb.h"
    mv "$t/package/LICENSE" "$stage/share/LICENSE"
    printf '%s\n' "$stamp" >"$stage/.stamp"
    rm -rf "$out_dir"
    mv "$stage" "$out_dir"
    log "installed libduckdb $BINDINGS_VERSION + duckdb.h $DUCKDB_VERSION into $out_dir"
  fi
fi

# ---- bundled source tree -----------------------------------------------------------------------
if [[ $want_src -eq 1 ]]; then
  src_dir="$deps/duckdb-src"
  stamp="duckdb=$DUCKDB_VERSION $DUCKDB_INTEGRITY"
  if [[ -f "$src_dir/.stamp" && -f "$src_dir/binding.gyp" && -d "$src_dir/src/include" ]] &&
     [[ "$(cat "$src_dir/.stamp")" == "$stamp" ]]; then
    :  # up to date
  else
    fetch_tarball "$DUCKDB_SPEC" "$DUCKDB_TGZ" "$DUCKDB_INTEGRITY"
    new_tmp; t=$TMP
    log "extracting DuckDB $DUCKDB_VERSION source tree into $src_dir"
    tar -xzf "$cache/$DUCKDB_TGZ" -C "$t" --no-same-owner -m package/src/duckdb package/binding.gyp \
      || die "could not extract the source tree from $cache/$DUCKDB_TGZ"
    [[ -d "$t/package/src/duckdb/src/include" ]] || die "$DUCKDB_TGZ has no package/src/duckdb/src/include"
    # binding.gyp lists the translation units, include dirs and defines of the bundled build;
    # cmake/DuckDB.cmake reads it (its paths start with src/duckdb/, i.e. relative to package/).
    mv "$t/package/binding.gyp" "$t/package/src/duckdb/binding.gyp"
    printf '%s\n' "$stamp" >"$t/package/src/duckdb/.stamp"
    rm -rf "$src_dir"
    mv "$t/package/src/duckdb" "$src_dir"
  fi
fi
