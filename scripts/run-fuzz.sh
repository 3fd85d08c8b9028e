#!/usr/bin/env bash
# run-fuzz.sh — runs the libFuzzer targets of fuzz/ (built in $FUZZ_BUILD_DIR, see fuzz/README.md).
#
#   scripts/run-fuzz.sh check [target...]   regression mode (make test): each target over its seed
#                                           corpus (fuzz/corpus/<target>, -runs=0), then a short
#                                           time-boxed run ($FUZZ_SMOKE_SECONDS, default 10 s)
#   scripts/run-fuzz.sh run [target...]     fuzzing (make fuzz): each target for $FUZZ_SECONDS
#                                           (default 60), one after another
#
# New corpus entries and crash/timeout/leak reproducers go to $FUZZ_WORK_DIR/<target>/ (default
# build-fuzz/fuzz-work), never into the repository; `run` keeps that corpus between runs so the
# executions add up. Every run prints its executions; the summary lists them per target, and after
# it each failure's error lines and reproducer (inline as base64 when under 4 KiB).
# Exit status: 1 when any target found a crash, timeout, leak or out-of-memory input.
#
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_SECONDS (60), FUZZ_SMOKE_SECONDS (10),
# FUZZ_RSS_LIMIT_MB (2048), FUZZ_TIMEOUT (10, seconds per input), FUZZ_WORK_DIR, FUZZ_ARGS (extra
# libFuzzer flags), FUZZ_NICE (10: fuzzing shares the machine with builds).
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo_root"
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
work_dir=${FUZZ_WORK_DIR:-$build_dir/fuzz-work}
seconds=${FUZZ_SECONDS:-60}
smoke_seconds=${FUZZ_SMOKE_SECONDS:-10}
rss_limit=${FUZZ_RSS_LIMIT_MB:-2048}
per_input_timeout=${FUZZ_TIMEOUT:-10}
nice_level=${FUZZ_NICE:-10}
read -r -a extra_args <<< "${FUZZ_ARGS:-}"
# Every target with a source in fuzz/targets/: a list written by hand had left fuzz_journal out of
# `make test` since it was added.
all_targets=()
for source in fuzz/targets/fuzz_*.cpp; do
  all_targets+=("$(basename "$source" .cpp)")
done

die() { printf 'run-fuzz: error: %s\n' "$*" >&2; exit 2; }

# ASan frames are about six times larger than release frames (measured on the DynamoDB condition
# parser: 320 nesting levels, its limit, need 1-2 MB in the release build and overflow 8 MB under
# ASan). The parsers' depth limits are sized for release stacks, so the sanitizer build gets a stack
# of 64 MB, about what 8 MB (the default thread stack) is in release.
ulimit -s 65536 2>/dev/null || echo "run-fuzz: could not raise the stack limit to 64 MB; deep-nesting inputs may overflow under ASan" >&2

mode=${1:-}
[[ $mode == check || $mode == run ]] || die "usage: $0 check|run [target...]"
shift
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for target in "${all_targets[@]}"; do
    # fuzz_lake_catalog needs a DuckDB build (MALLARD_WITH_DUCKDB=ON); skip it when absent.
    if [[ $target == fuzz_lake_catalog && ! -x $build_dir/fuzz/$target ]]; then
      echo "run-fuzz: $target not built (MALLARD_WITH_DUCKDB=OFF); skipped" >&2
      continue
    fi
    targets+=("$target")
  done
fi

failed=()
summary=()
# What each failure left, repeated after the summary: CI shows the end of the log, where the lines
# printed when the failure happened are out of sight.
details=()

# describe_failure TARGET LOG ARTIFACT_DIR: the log's error lines and the newest reproducer, inline
# (base64, when under 4 KiB) so that the log alone reproduces it.
describe_failure() {
  local target=$1 log=$2 artifacts=$3 reproducer
  details+=("$target: $(grep -m 3 -E 'ERROR|FUZZ CHECK FAILED|runtime error|SUMMARY' "$log" | tr '\n' ' ')")
  reproducer=$(ls -t "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/leak-* "$artifacts"/oom-* 2>/dev/null | head -1)
  if [[ -n $reproducer ]]; then
    local size
    size=$(stat -c %s "$reproducer")
    if (( size < 4096 )); then
      details+=("$target: reproducer $(basename "$reproducer") ($size bytes, base64): $(base64 -w0 "$reproducer")")
    else
      details+=("$target: reproducer $reproducer ($size bytes)")
    fi
  fi
}

# fuzz TARGET SECONDS: a time-boxed run seeded from the repository corpus; prints executions.
fuzz_for() {
  local target=$1 time=$2 binary=$build_dir/fuzz/$1 scratch=$work_dir/$1
  mkdir -p "$scratch/corpus" "$scratch/artifacts"
  local log=$scratch/last-run.log dict=()
  [[ -f fuzz/dict/$target.dict ]] && dict=(-dict="fuzz/dict/$target.dict")
  # The scratch corpus comes first: libFuzzer writes new inputs to the first directory only.
  nice -n "$nice_level" "$binary" -max_total_time="$time" -rss_limit_mb="$rss_limit" -timeout="$per_input_timeout" \
    -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" "${dict[@]}" "${extra_args[@]}" \
    "$scratch/corpus" "fuzz/corpus/$target" >"$log" 2>&1
  local rc=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  runs=${runs:-0}
  printf '%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$runs" >>"$work_dir/executions.tsv"
  summary+=("$target: ${runs} executions in ${time}s")
  if [[ $rc -ne 0 ]]; then
    failed+=("$target")
    echo "run-fuzz: $target FAILED (exit $rc); reproducer in $scratch/artifacts/, log $log:" >&2
    grep -E 'ERROR|FUZZ CHECK FAILED|runtime error|Test unit written|SUMMARY' "$log" | head -20 >&2
    describe_failure "$target" "$log" "$scratch/artifacts"
  fi
}

mkdir -p "$work_dir"
for target in "${targets[@]}"; do
  binary=$build_dir/fuzz/$target
  [[ -x $binary ]] || die "$binary is missing: build it with 'make fuzz-build'"
  if [[ $mode == check ]]; then
    # Every seed (and every reproducer committed with a fix) must pass.
    log=$work_dir/$target/corpus-check.log
    mkdir -p "$work_dir/$target"
    if ! "$binary" -runs=0 -rss_limit_mb="$rss_limit" -timeout="$per_input_timeout" \
        -artifact_prefix="$work_dir/$target/" "fuzz/corpus/$target" >"$log" 2>&1; then
      failed+=("$target")
      echo "run-fuzz: $target FAILED on its corpus; log $log:" >&2
      grep -E 'ERROR|FUZZ CHECK FAILED|runtime error|Test unit written|SUMMARY' "$log" | head -20 >&2
      describe_failure "$target" "$log" "$work_dir/$target"
      continue
    fi
    fuzz_for "$target" "$smoke_seconds"
  else
    fuzz_for "$target" "$seconds"
  fi
done

printf 'run-fuzz: %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'run-fuzz: %s\n' "${details[@]}" >&2
  echo "run-fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run-fuzz: all targets passed"
