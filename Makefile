# Mallard — entry points. On a fresh Debian 12 machine:  make run  /  make test
#
# Variables (override on the command line, e.g. `make run ARGS="--port 4567"`):
#   BUILD_DIR       build directory                                   (build)
#   BUILD_TYPE      CMAKE_BUILD_TYPE                                  (Release)
#   WITH_DUCKDB     -DMALLARD_WITH_DUCKDB                             (ON)
#   DUCKDB_BUNDLED  -DMALLARD_DUCKDB_BUNDLED: compile DuckDB from source, ~1 h on 2 cores (OFF)
#   CMAKE_ARGS      extra arguments for the cmake configure step
#   JOBS            parallel build jobs                               ($(nproc))
#   ARGS            extra arguments for `mallard serve` (run)
#   PYTEST_ARGS     extra arguments for pytest (test)
#   BENCH_ENDPOINT  `make bench` measures this running endpoint with bench/sqs_load instead of
#                   running bench/run_sqs_bench.sh (which takes its settings from the environment)
#   BENCH_ARGS      extra arguments for bench/sqs_load when it is run directly
#   BENCH_PORT      port for the fallback server when bench/run_sqs_bench.sh is absent (4599)
#   SKIP_DEPS=1     do not run scripts/install-deps.sh before building
#   FUZZ_BUILD_DIR  build directory of the libFuzzer targets (clang, sanitizers)  (build-fuzz)
#   FUZZ_SECONDS    `make fuzz`: seconds per target                               (60)
#   FUZZ_SMOKE_SECONDS `make test`: seconds per target after its corpus passed    (10)
#   FUZZ_TARGETS    which fuzz targets `make fuzz` runs (default: all; see fuzz/README.md)

SHELL := /bin/bash

BUILD_DIR      ?= build
BUILD_TYPE     ?= Release
WITH_DUCKDB    ?= ON
DUCKDB_BUNDLED ?= OFF
CMAKE_ARGS     ?=
JOBS           ?= $(shell nproc 2>/dev/null || echo 2)
ARGS           ?=
PYTEST_ARGS    ?=
BENCH_ARGS     ?=
BENCH_PORT     ?= 4599
BENCH_ENDPOINT ?=
# Debian's interpreter, which has python3-pytest/boto3/requests; another python may be first on PATH.
PYTHON         := /usr/bin/python3

MALLARD_BIN := $(abspath $(BUILD_DIR)/mallard)

.DEFAULT_GOAL := build
.PHONY: help deps configure build run test unit e2e bench clean distclean fuzz fuzz-build fuzz-check

help:
	@sed -n '1,/^SHELL/p' $(firstword $(MAKEFILE_LIST)) | sed -e '$$d' -e 's/^# \{0,1\}//'
	@echo 'Targets: deps build run test unit e2e bench fuzz fuzz-build fuzz-check clean distclean'

deps:
ifeq ($(SKIP_DEPS),1)
	@:
else
	@MALLARD_BUILD_DIR='$(BUILD_DIR)' MALLARD_WITH_DUCKDB='$(WITH_DUCKDB)' \
	  MALLARD_DUCKDB_BUNDLED='$(DUCKDB_BUNDLED)' scripts/install-deps.sh
endif

# Prerequisites are chained (build needs deps) rather than listed side by side so that `make -j`
# never configures before the dependencies are in place.
configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DMALLARD_WITH_DUCKDB=$(WITH_DUCKDB) -DMALLARD_DUCKDB_BUNDLED=$(DUCKDB_BUNDLED) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	exec $(MALLARD_BIN) serve $(ARGS)

# Both suites always run; the target fails if either failed.
test: build
	@rc=0; \
	( cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) ) || { echo "make test: ctest FAILED" >&2; rc=1; }; \
	MALLARD_BIN='$(MALLARD_BIN)' $(PYTHON) -m pytest -v --durations=25 tests/e2e $(PYTEST_ARGS) \
	  || { echo "make test: pytest tests/e2e FAILED" >&2; rc=1; }; \
	MALLARD_BIN='$(MALLARD_BIN)' tests/e2e/run_on_redis.sh -q $(PYTEST_ARGS) \
	  || { echo "make test: SQS/DynamoDB e2e on the Redis backends FAILED" >&2; rc=1; }; \
	$(MAKE) --no-print-directory fuzz-check \
	  || { echo "make test: fuzz targets over their corpus FAILED" >&2; rc=1; }; \
	exit $$rc

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

e2e: build
	MALLARD_BIN='$(MALLARD_BIN)' $(PYTHON) -m pytest -v tests/e2e $(PYTEST_ARGS)

# libFuzzer targets (fuzz/README.md): a separate clang build with ASan/UBSan that compiles only the
# sources the targets exercise. fuzz-check (part of make test) runs each target over its seed corpus
# and then FUZZ_SMOKE_SECONDS; fuzz runs each for FUZZ_SECONDS. New inputs and reproducers go to
# $(FUZZ_BUILD_DIR)/fuzz-work, never into the repository.
FUZZ_BUILD_DIR     ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS       ?=

# The DuckDB tarballs the main build fetched are reused (fetch-duckdb.sh still checks their sha512).
fuzz-build: deps
	@if [[ '$(WITH_DUCKDB)' == ON && -d $(BUILD_DIR)/_deps/cache && ! -d $(FUZZ_BUILD_DIR)/_deps/cache ]]; then \
	  mkdir -p $(FUZZ_BUILD_DIR)/_deps && cp -r $(BUILD_DIR)/_deps/cache $(FUZZ_BUILD_DIR)/_deps/; fi
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMALLARD_BUILD_FUZZ=ON \
	  -DMALLARD_WITH_DUCKDB=$(WITH_DUCKDB) -DMALLARD_BUILD_TESTS=OFF -DMALLARD_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzz_all

fuzz-check: fuzz-build
	FUZZ_BUILD_DIR='$(FUZZ_BUILD_DIR)' FUZZ_SMOKE_SECONDS='$(FUZZ_SMOKE_SECONDS)' scripts/run-fuzz.sh check

fuzz: fuzz-build
	FUZZ_BUILD_DIR='$(FUZZ_BUILD_DIR)' FUZZ_SECONDS='$(FUZZ_SECONDS)' scripts/run-fuzz.sh run $(FUZZ_TARGETS)

# Delegates to bench/run_sqs_bench.sh (Mallard vs. moto side by side; settings via its environment
# variables, see `bench/run_sqs_bench.sh --help`). With BENCH_ENDPOINT=http://host:port it runs
# bench/sqs_load against that already running endpoint instead (BENCH_ARGS go to sqs_load). Without
# the script, it starts `mallard serve` on BENCH_PORT and runs sqs_load against it.
bench: build
	@set -euo pipefail; \
	export no_proxy='*' NO_PROXY='*'; \
	load='$(BUILD_DIR)/bench/sqs_load'; \
	[[ -x "$$load" ]] || { echo "make bench: $$load was not built (MALLARD_BUILD_BENCH=OFF?)" >&2; exit 1; }; \
	if [[ -n '$(BENCH_ENDPOINT)' ]]; then exec "$$load" --endpoint '$(BENCH_ENDPOINT)' $(BENCH_ARGS); fi; \
	if [[ -x bench/run_sqs_bench.sh ]]; then BUILD_DIR='$(abspath $(BUILD_DIR))' exec bench/run_sqs_bench.sh; fi; \
	log=$$(mktemp); \
	'$(MALLARD_BIN)' serve --port $(BENCH_PORT) >"$$log" 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null || true; wait $$pid 2>/dev/null || true; rm -f "$$log"' EXIT; \
	for i in $$(seq 100); do \
	  kill -0 $$pid 2>/dev/null || { cat "$$log" >&2; echo "make bench: mallard serve exited early" >&2; exit 1; }; \
	  $(PYTHON) -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
	    'http://127.0.0.1:$(BENCH_PORT)/_mallard/health' 2>/dev/null && break; \
	  sleep 0.1; \
	done; \
	"$$load" --endpoint 'http://127.0.0.1:$(BENCH_PORT)' $(BENCH_ARGS)

# Removes build outputs but keeps the configured tree and the fetched DuckDB (_deps).
clean:
	@if [[ -f $(BUILD_DIR)/CMakeCache.txt ]]; then cmake --build $(BUILD_DIR) --target clean; fi

# Removes the whole build directory, including the downloaded DuckDB tarballs.
distclean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR)
